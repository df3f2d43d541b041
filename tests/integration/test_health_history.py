"""Health history: `cockpit check` runs build it, the pane reads it, it stays bounded."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from cockpit.probes import health_history
from cockpit.probes.rolling import Sample
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.conftest import clean_env


def test_successive_checks_accumulate_samples(sandbox: Sandbox, run_cockpit, tmp_path: Path) -> None:
    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"))
    for expected in (1, 2):
        result = run_cockpit("check", "--config", str(sandbox.config_path), "--json", env=env)
        findings = {(f["check"], f["subject"]): f for f in json.loads(result.stdout)["findings"]}
        assert findings[("http.error_rate", "failing")]["message"] == f"100.0% errors over {expected} samples"
    store = StateStore(tmp_path / "state" / "state.sqlite3")
    kinds = {r[0] for r in store.query("SELECT DISTINCT kind FROM health_samples")}
    store.close()
    assert kinds == {"http", "pg"}


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
