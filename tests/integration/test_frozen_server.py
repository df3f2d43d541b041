"""A server that stops answering mid-session: every read ends at its deadline, and says so.

The fault is real: the session's own backend process is stopped (SIGSTOP), so the connection
stays open and the kernel acknowledges what is sent, but nothing answers -- as with a frozen
server or host, or a network that drops packets. TCP alone would wait for hours; before the
deadline a pane's read waited forever while its rows went on looking current.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from cockpit.config import Database, Settings, Target, Thresholds
from cockpit.db.sessions import SessionPolicy
from cockpit.model import Finding, Severity
from cockpit.probes.context import ProbeContext, read_database
from cockpit.probes.postgres import PgHealthMonitor
from cockpit.sandbox.manager import Sandbox

# Connect and statement timeouts of 1 s each: a read gives up after 2 s.
QUICK = SessionPolicy(statement_timeout_ms=1000, connect_timeout_s=1)


@contextmanager
def frozen(pid: int) -> Iterator[None]:
    """Backend ``pid`` stopped for the block, continued whatever happens in it."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_the_health_monitor_gives_up_on_a_frozen_session_and_comes_back(sandbox: Sandbox) -> None:
    monitor = PgHealthMonitor(Database(name="app", dsn=sandbox.postgres.dsn()), QUICK)
    try:
        assert (await monitor.read()).reachable
        assert monitor.session.connection is not None
        with frozen(monitor.session.connection.info.backend_pid):
            started = time.monotonic()
            reading = await monitor.read()
            took = time.monotonic() - started
        assert not reading.reachable and reading.reconnecting
        assert "no answer in 2 s" in reading.error
        assert 1.9 < took < 4
        await asyncio.sleep(1.1)  # the reconnect backoff
        assert (await monitor.read()).reachable  # a new session, on a backend that answers
    finally:
        await monitor.aclose()


async def test_a_one_shot_read_of_a_frozen_server_is_a_critical_finding(sandbox: Sandbox) -> None:
    """`cockpit check` (cron) reads through read_database: it must end, and say why."""
    context = ProbeContext("sandbox", Target(), Thresholds(), Settings(), QUICK)
    stopped: list[int] = []

    async def read(conn: psycopg.AsyncConnection[Any]) -> int:
        pid = conn.info.backend_pid
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)
        row = await (await conn.execute("SELECT 1")).fetchone()
        return int(row[0]) if row else 0

    started = time.monotonic()
    try:
        result = await read_database(context, Database(name="app", dsn=sandbox.postgres.dsn()), "roles", read)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    assert time.monotonic() - started < 4
    assert isinstance(result, Finding)
    assert result.check == "roles.reachable" and result.severity is Severity.CRIT
    assert "no answer in 2 s" in result.message
