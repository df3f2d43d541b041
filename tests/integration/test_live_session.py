"""The live session every pane reads on, against the sandbox's real server: kept across reads,
given up at its deadline, replaced when it breaks, and every failure one line naming the database.

The faults are real: a backend terminated by the server (pg_terminate_backend, as a DBA or a
restart does), a statement that outlives the read's deadline (pg_sleep), a port nothing listens on.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from cockpit.config import Database
from cockpit.db.live_session import LiveSession, SessionLost
from cockpit.db.sessions import NoAnswer, SessionPolicy, connect
from cockpit.errors import CockpitError
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.processes import free_port


async def backend_pid(conn: psycopg.AsyncConnection[Any]) -> int:
    row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def make_session(sandbox: Sandbox, opened: list[int]) -> LiveSession:
    async def on_connect(conn: psycopg.AsyncConnection[Any]) -> None:
        opened.append(conn.info.backend_pid)

    database = Database(name="app", dsn=sandbox.postgres.dsn())
    return LiveSession(database, SessionPolicy(), on_connect=on_connect)


async def test_one_session_is_kept_and_a_terminated_one_is_replaced(sandbox: Sandbox) -> None:
    opened: list[int] = []
    session = make_session(sandbox, opened)
    try:
        first = await session.read(backend_pid)
        assert await session.read(backend_pid) == first  # the same backend: no connection per read
        assert opened == [first]  # on_connect once per session
        with connect(session.database, SessionPolicy()) as dba:
            dba.execute("SELECT pg_terminate_backend(%s)", [first])
        with pytest.raises(SessionLost) as lost:
            await session.read(backend_pid)
        assert str(lost.value).startswith("database app: ")
        assert "\n" not in str(lost.value)
        assert session.connection is None  # closed: the next read opens another
        second = await session.read(backend_pid)
        assert second != first and opened == [first, second]
    finally:
        await session.aclose()
    assert session.connection is None


async def test_a_read_past_its_deadline_is_given_up_and_the_next_one_answers(sandbox: Sandbox) -> None:
    opened: list[int] = []
    session = make_session(sandbox, opened)

    async def sleep_long(conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute("SELECT pg_sleep(3)")

    try:
        first = await session.read(backend_pid)
        with pytest.raises(NoAnswer, match=r"^database app: no answer in 0.5 s"):
            await session.read(sleep_long, deadline_s=0.5)
        assert session.connection is None  # handed over: closed once its read ends
        assert await session.read(backend_pid) != first
    finally:
        await session.aclose()


async def test_a_server_that_is_not_there_is_one_line_and_no_session(sandbox: Sandbox) -> None:
    database = Database(name="gone", dsn=f"postgresql://cockpit@127.0.0.1:{free_port()}/app")
    session = LiveSession(database, SessionPolicy(connect_timeout_s=2))
    with pytest.raises(CockpitError) as failed:
        await session.read(backend_pid)
    assert not isinstance(failed.value, (SessionLost, NoAnswer))
    message = str(failed.value)
    assert message.startswith("database gone: ") and "\n" not in message
    assert session.connection is None


async def test_an_on_connect_that_fails_keeps_no_half_set_up_session(sandbox: Sandbox) -> None:
    calls: list[int] = []

    async def refuses_once(conn: psycopg.AsyncConnection[Any]) -> None:
        calls.append(conn.info.backend_pid)
        if len(calls) == 1:
            await conn.execute("SELECT * FROM no_such_table_here")

    session = LiveSession(
        Database(name="app", dsn=sandbox.postgres.dsn()), SessionPolicy(), on_connect=refuses_once
    )
    try:
        with pytest.raises(SessionLost, match="no_such_table_here"):
            await session.read(backend_pid)
        assert session.connection is None
        assert await session.read(backend_pid) == calls[1]  # asked again on the new session
    finally:
        await session.aclose()
