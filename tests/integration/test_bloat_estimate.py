"""The Bloat pane's kept estimate on the real sandbox: it reads again only what moved, and what it
keeps is what a whole new read says.

Each test makes a schema of its own in a database of its own (no other test or workload writes
there), so "what moved" is exactly what the test wrote. Writes are made visible to the server's
statistics at once (``pg_stat_force_next_flush``), as a backend does by itself within a second.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy, connect_async
from cockpit.probes.bloat import BloatReading, xid_age
from cockpit.probes.bloat_estimate import FULL_EVERY_S, BloatEstimate, read_bloat
from cockpit.sandbox.manager import Sandbox
from tests.conftest import own_database

DATABASE = "bloat_estimate_tests"


@pytest.fixture
def schema(sandbox: Sandbox) -> Iterator[str]:
    """A schema of three tables (a primary key each, one with a second index), analyzed."""
    name = f"kept_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(own_database(sandbox, DATABASE), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}".encode())
        for table in ("moves", "stays", "indexed"):
            conn.execute(
                f"CREATE TABLE {name}.{table} (id bigserial PRIMARY KEY, body text NOT NULL)"
                " WITH (autovacuum_enabled = false)".encode()
            )
            conn.execute(
                f"INSERT INTO {name}.{table} (body) SELECT md5(g::text) FROM generate_series(1, 2000) g".encode()
            )
        conn.execute(f"CREATE INDEX ON {name}.indexed (body)".encode())
        conn.execute(f"ANALYZE {name}.moves, {name}.stays, {name}.indexed".encode())
        flushed(conn)
    yield name
    with psycopg.connect(own_database(sandbox, DATABASE), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE".encode())


def flushed(conn: psycopg.Connection[Any]) -> None:
    """This session's statistics reported to the server now, not at its next idle second."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT 1")  # the flush happens when the backend is next idle: after this


def write(sandbox: Sandbox, *statements: str) -> None:
    with psycopg.connect(own_database(sandbox, DATABASE), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())
        flushed(conn)


async def kept(sandbox: Sandbox, estimate: BloatEstimate) -> BloatReading:
    """One read of the pane, both steps, on a new session (the estimate keeps nothing of it)."""
    database = Database(name="kept", dsn=own_database(sandbox, DATABASE))
    async with await connect_async(database, SessionPolicy(read_only=True)) as conn:
        await estimate.read(conn)
        return await estimate.read_sizes(conn)


async def whole(sandbox: Sandbox, schema: str) -> BloatReading:
    database = Database(name="whole", dsn=own_database(sandbox, DATABASE))
    async with await connect_async(database, SessionPolicy(read_only=True)) as conn:
        return await read_bloat(conn, schema=schema)


def figures(reading: BloatReading, *, freeze: bool = True) -> dict[str, tuple[object, ...]]:
    """Every relation's estimate, sizes, counts and freeze age: what the pane shows of it. The
    freeze ages grow with every transaction on the server (DDL included)."""
    shown: dict[str, tuple[object, ...]] = {}
    for t in reading.tables:
        shown[t.qualified] = (
            t.pages, t.bloat_bytes, t.total_bytes, t.table_bytes, t.index_bytes, t.toast_bytes,
            t.live_tuples, t.dead_tuples, t.last_analyze, t.locked,
            t.freeze_age(reading.xid_now) if freeze else None,
        )  # fmt: skip
    for i in reading.indexes:
        shown[i.qualified] = (i.pages, i.bloat_bytes, i.bytes, i.scans, i.locked)
    return shown


async def test_a_kept_estimate_reads_again_only_what_moved_and_agrees_with_a_whole_read(
    sandbox: Sandbox, schema: str
) -> None:
    estimate = BloatEstimate(schema=schema)
    first = await kept(sandbox, estimate)
    assert estimate.estimated == 3 + 4  # three tables, three primary keys and one more index
    assert {t.name for t in first.tables} == {"moves", "stays", "indexed"}
    assert all(t.total_bytes is not None for t in first.tables) and not estimate.sizes_pending

    again = await kept(sandbox, estimate)
    assert estimate.estimated == 0
    assert figures(again) == figures(first)

    write(sandbox, f"INSERT INTO {schema}.moves (body) SELECT md5(g::text) FROM generate_series(1, 5000) g")
    database = Database(name="kept", dsn=own_database(sandbox, DATABASE))
    async with await connect_async(database, SessionPolicy(read_only=True)) as conn:
        await estimate.read(conn)
        assert estimate.estimated == 2  # the table and its primary key
        assert estimate.sizes_pending  # its old size shown until the next step reads it
        moved = await estimate.read_sizes(conn)
    grown = {t.name: t.total_bytes or 0 for t in moved.tables}
    before = {t.name: t.total_bytes or 0 for t in first.tables}
    assert grown["moves"] > before["moves"] and grown["stays"] == before["stays"]
    live = {t.name: t.live_tuples or 0 for t in moved.tables}
    assert live["moves"] == {t.name: t.live_tuples or 0 for t in first.tables}["moves"] + 5000
    assert figures(moved) == figures(await whole(sandbox, schema))


async def test_an_index_made_or_dropped_moves_its_table_and_nothing_else(
    sandbox: Sandbox, schema: str
) -> None:
    estimate = BloatEstimate(schema=schema)
    first = await kept(sandbox, estimate)
    write(sandbox, f"CREATE INDEX stays_body ON {schema}.stays (body)")
    made = await kept(sandbox, estimate)
    assert estimate.estimated == 1 + 2  # stays, and both its indexes (its name may have moved)
    assert f"{schema}.stays_body" in {i.qualified for i in made.indexes}
    index_bytes = {t.name: t.index_bytes or 0 for t in made.tables}
    assert index_bytes["stays"] > {t.name: t.index_bytes or 0 for t in first.tables}["stays"]
    assert figures(made) == figures(await whole(sandbox, schema))

    write(sandbox, f"DROP INDEX {schema}.stays_body")
    dropped = await kept(sandbox, estimate)
    assert estimate.estimated == 1 + 1
    assert f"{schema}.stays_body" not in {i.qualified for i in dropped.indexes}
    assert figures(dropped, freeze=False) == figures(first, freeze=False)


async def test_a_table_locked_after_the_first_read_is_read_again_without_its_size(
    sandbox: Sandbox, schema: str
) -> None:
    estimate = BloatEstimate(schema=schema)
    await kept(sandbox, estimate)
    with psycopg.connect(own_database(sandbox, DATABASE)) as migration:
        migration.execute(f"LOCK TABLE {schema}.moves IN ACCESS EXCLUSIVE MODE".encode())
        locked = await kept(sandbox, estimate)  # SessionPolicy's lock_timeout is 1 s: never waits
        migration.rollback()
    moves = next(t for t in locked.tables if t.name == "moves")
    assert moves.locked and moves.total_bytes is None
    assert not next(t for t in locked.tables if t.name == "stays").locked
    released = await kept(sandbox, estimate)
    moves = next(t for t in released.tables if t.name == "moves")
    assert not moves.locked and moves.total_bytes is not None
    assert figures(released) == figures(await whole(sandbox, schema))


async def test_everything_is_read_again_once_an_hour(sandbox: Sandbox, schema: str) -> None:
    now = [0.0]
    estimate = BloatEstimate(schema=schema, clock=lambda: now[0])
    await kept(sandbox, estimate)
    now[0] += FULL_EVERY_S - 1
    await kept(sandbox, estimate)
    assert estimate.estimated == 0
    now[0] += 1
    await kept(sandbox, estimate)
    assert estimate.estimated == 7


async def test_freeze_ages_are_the_servers_own_counted_to_the_readings_counter(
    sandbox: Sandbox, schema: str
) -> None:
    reading = await kept(sandbox, BloatEstimate(schema=schema))
    with psycopg.connect(own_database(sandbox, DATABASE), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, relfrozenxid::text::bigint, age(relfrozenxid), age('3'::xid) FROM pg_class"
            " WHERE relnamespace = %s::regnamespace AND relkind = 'r'",
            (schema,),
        ).fetchall()
    for name, frozen_xid, age, age_of_first_xid in rows:
        assert xid_age(frozen_xid, (age_of_first_xid + 3) % 2**32) == age
        table = next(t for t in reading.tables if t.name == name)
        assert table.frozen_xid == frozen_xid
        # The counter only moves on: read before this query, the reading's age is at most its own.
        assert 0 <= table.freeze_age(reading.xid_now) <= age
