"""PostgreSQL health on real servers: readings, findings, a database that goes and comes back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cockpit.config import Database, Thresholds
from cockpit.db.sessions import SessionPolicy
from cockpit.model import Severity
from cockpit.probes.postgres import PgHealthMonitor, judge
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.postgres import SandboxPostgres


async def test_reading_the_sandbox(sandbox: Sandbox) -> None:
    monitor = PgHealthMonitor(Database(name="app", dsn=sandbox.postgres.dsn()), SessionPolicy())
    try:
        first = await monitor.read()
        second = await monitor.read()
    finally:
        await monitor.aclose()
    assert first.reachable and first.version.startswith("18")
    assert first.max_connections == 100 and first.connections >= 2
    assert first.statements_installed and first.size_bytes and first.size_bytes > 1_000_000
    assert first.cache_hit is not None and 0 < first.cache_hit <= 1
    assert not first.standby and first.freeze_max_age == 200_000_000
    assert second.query_ms is not None and second.query_ms < 500
    findings = {f.check: f for f in judge(second, Thresholds())}
    assert findings["postgres.reachable"].severity is Severity.OK
    assert findings["postgres.connections"].message.endswith(f"connections ({second.connections_pct:.0f}%)")
    assert "postgres.mean_statement" in findings


async def test_mean_statement_time_is_taken_over_a_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One slow statement keeps counting for the span, then leaves it: over a single refresh the
    mean swung across the alert threshold and back every few seconds (a flapping finding)."""
    import psycopg

    from cockpit.probes import postgres

    monkeypatch.setattr(postgres, "MEAN_SPAN_S", 1.5)
    # A server of its own: the shared sandbox runs other tests' statements meanwhile.
    server = SandboxPostgres(tmp_path / "pg")
    server.init()
    server.start()
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as admin:
        admin.execute("CREATE EXTENSION pg_stat_statements")
    monitor = PgHealthMonitor(Database(name="own", dsn=server.dsn("postgres")), SessionPolicy())
    try:
        await monitor.read()
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as slow:
            slow.execute("SELECT pg_sleep(0.4)")
        after_slow = await monitor.read()
        next_refresh = await monitor.read()  # only the monitor's own fast statements since
        await asyncio.sleep(2)
        await monitor.read()
        span_later = await monitor.read()
    finally:
        await monitor.aclose()
        server.stop()
    assert after_slow.mean_statement_ms is not None and after_slow.mean_statement_ms > 20
    assert next_refresh.mean_statement_ms is not None and next_refresh.mean_statement_ms > 20
    assert span_later.mean_statement_ms is not None and span_later.mean_statement_ms < 20


async def test_thresholds_turn_readings_into_warnings(sandbox: Sandbox) -> None:
    monitor = PgHealthMonitor(Database(name="app", dsn=sandbox.postgres.dsn()), SessionPolicy())
    deadline = time.monotonic() + 15
    try:
        while True:  # the sandbox's idle-in-transaction session: wait until it is 1 s old
            reading = await monitor.read()
            if (reading.oldest_idle_xact_s or 0) >= 1 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
    finally:
        await monitor.aclose()
    strict = Thresholds(idle_in_transaction_warn_s=0.5, connections_warn_pct=1, cache_hit_warn_pct=100.1)
    findings = {f.check: f.severity for f in judge(reading, strict)}
    assert findings["postgres.idle_in_transaction"] is Severity.WARN
    assert findings["postgres.connections"] is Severity.WARN
    assert findings["postgres.cache_hit"] is Severity.WARN


async def test_a_database_that_stops_and_comes_back(tmp_path: Path) -> None:
    server = SandboxPostgres(tmp_path / "pg")
    server.init()
    server.start()
    monitor = PgHealthMonitor(
        Database(name="flaky", dsn=server.dsn("postgres")), SessionPolicy(connect_timeout_s=2)
    )
    try:
        assert (await monitor.read()).reachable
        server.stop()
        down = await monitor.read()
        assert not down.reachable and down.reconnecting
        assert judge(down, Thresholds())[0].message.startswith("reconnecting: database flaky")
        again = await monitor.read()  # within the backoff: no new attempt, still reconnecting
        assert not again.reachable and again.reconnecting
        server.start()
        deadline = time.monotonic() + 20
        reading = again
        while not reading.reachable and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            reading = await monitor.read()
        assert reading.reachable, reading.error
    finally:
        await monitor.aclose()
        server.stop()
