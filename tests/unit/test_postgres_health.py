"""PostgreSQL health findings from readings, and a database that is not there at all (the
readings of real servers are in tests/integration/test_postgres_health.py)."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.config import Database, Thresholds
from cockpit.db.sessions import SessionPolicy
from cockpit.model import Finding, Severity
from cockpit.probes.postgres import PgHealthMonitor, judge


async def test_unreachable_from_the_start_is_not_called_reconnecting() -> None:
    from cockpit.sandbox.processes import free_port

    monitor = PgHealthMonitor(
        Database(name="gone", dsn=f"postgresql://x@127.0.0.1:{free_port()}/x"),
        SessionPolicy(connect_timeout_s=2),
    )
    reading = await monitor.read()
    await monitor.aclose()
    assert not reading.reachable and not reading.reconnecting
    finding = judge(reading, Thresholds())[0]
    assert finding.severity is Severity.CRIT and finding.message.startswith("database gone:")


def standby_replication(**fields: Any) -> Finding:
    """The postgres.replication finding of a reachable standby's reading with ``fields``."""
    from cockpit.probes.rows import PgHealth

    reading = PgHealth(
        "replica", reachable=True, version="18.6", max_connections=100, freeze_max_age=200_000_000,
        standby=True, **fields,
    )  # fmt: skip
    return next(f for f in judge(reading, Thresholds()) if f.check == "postgres.replication")


@pytest.mark.parametrize("lag,expected", [(10.0, Severity.OK), (60.0, Severity.WARN), (600.0, Severity.CRIT)])
def test_standby_lag_levels(lag: float, expected: Severity) -> None:
    assert standby_replication(replay_lag_s=lag).severity is expected


@pytest.mark.parametrize(
    ("streamed", "receiver", "expected"),
    [
        (True, None, "standby, WAL receiver not running: no WAL arriving from the primary, lag unknown"),
        (True, "waiting", "standby, WAL receiver waiting: no WAL arriving from the primary, lag unknown"),
        (True, "streaming", "standby, caught up (replay lag 0s)"),
        (True, "unknown", "standby, caught up (replay lag 0s)"),  # no pg_read_all_stats: not judged
        (False, None, "standby, caught up (replay lag 0s)"),  # fed from an archive: no receiver
    ],
)
def test_a_standby_whose_receiver_stopped_is_not_caught_up(
    streamed: bool, receiver: str | None, expected: str
) -> None:
    replication = standby_replication(replay_lag_s=0.0, streamed=streamed, wal_receiver=receiver)
    assert replication.message == expected
    assert replication.severity is (Severity.OK if expected.endswith("0s)") else Severity.WARN)


def test_slots_and_wraparound() -> None:
    from cockpit.probes.rows import PgHealth

    reading = PgHealth(
        "db",
        reachable=True,
        version="18.6",
        max_connections=100,
        xid_age=250_000_000,
        freeze_max_age=200_000_000,
        slots=[{"name": "lagging", "active": False, "retained_bytes": 3 * 1024**3}],
    )
    findings = {f.check: f for f in judge(reading, Thresholds())}
    assert findings["postgres.wraparound"].severity is Severity.WARN
    assert findings["postgres.slot"].severity is Severity.WARN
    assert findings["postgres.slot"].message == "inactive slot retains 3.0 GB of WAL"
