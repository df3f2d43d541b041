"""Health history in the state store: samples written as they come, read back to seed windows.

Bounded two ways: older than the retention (default 7 days) is deleted, and each subject keeps
at most ``max_samples`` rows, so a fast poll never grows the file without limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from cockpit.probes.rolling import Sample
from cockpit.state import StateStore


def record(store: StateStore, target: str, samples: Iterable[tuple[str, str, Sample]]) -> None:
    """Append ``(kind, subject, sample)`` triples ("http" or "pg") in one transaction."""
    rows = [(target, kind, subject, s.at, int(s.ok), s.latency_ms, s.detail) for kind, subject, s in samples]
    if not rows:
        return
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO health_samples (target, kind, subject, at, ok, latency_ms, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def load(store: StateStore, target: str, kind: str, subject: str, span: timedelta) -> list[Sample]:
    """Samples of one subject from the last ``span``, oldest first."""
    since = time.time() - span.total_seconds()
    rows = store.query(
        "SELECT at, ok, latency_ms, detail FROM health_samples WHERE target = ? AND kind = ?"
        " AND subject = ? AND at >= ? ORDER BY at",
        (target, kind, subject, since),
    )
    return [Sample(at=r[0], ok=bool(r[1]), latency_ms=r[2], detail=r[3]) for r in rows]


def prune(store: StateStore, retention: timedelta, max_samples: int) -> int:
    """Delete what is past the retention or beyond ``max_samples`` per subject; rows deleted."""
    horizon = time.time() - retention.total_seconds()
    with store.transaction() as db:
        deleted = db.execute("DELETE FROM health_samples WHERE at < ?", (horizon,)).rowcount
        deleted += db.execute(
            "DELETE FROM health_samples WHERE rowid IN (SELECT rowid FROM (SELECT rowid,"
            " row_number() OVER (PARTITION BY target, kind, subject ORDER BY at DESC) AS n"
            " FROM health_samples) WHERE n > ?)",
            (max_samples,),
        ).rowcount
    return int(deleted)
