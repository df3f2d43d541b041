"""Health history in the state store: bounded by age and by count, per target and subject (the
samples `cockpit check` records: tests/integration/test_health_history.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from cockpit.probes import health_history
from cockpit.probes.rolling import Sample
from cockpit.state import StateStore


def test_retention_and_size_bounds(store: StateStore) -> None:
    now = time.time()
    old = [("http", "api", Sample(now - 9 * 86400, True, 5.0))]
    recent = [("http", "api", Sample(now - i, True, float(i))) for i in range(50)]
    health_history.record(store, "prod", old + recent)
    health_history.record(store, "prod", [("http", "other", Sample(now, False, None, "timeout"))])
    deleted = health_history.prune(store, timedelta(days=7), max_samples=20)
    assert deleted == 1 + 30
    kept = health_history.load(store, "prod", "http", "api", timedelta(days=30))
    assert len(kept) == 20 and kept[-1].latency_ms == 0.0  # the newest survive, oldest first
    assert health_history.load(store, "prod", "http", "other", timedelta(days=1))[0].detail == "timeout"
    assert health_history.load(store, "staging", "http", "api", timedelta(days=30)) == []
