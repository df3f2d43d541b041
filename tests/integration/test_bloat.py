"""Bloat on the real sandbox: estimate against pgstattuple, VACUUM with progress, locks, guard.

Each test builds its own table (autovacuum off, a mass UPDATE and DELETE) in a database of its
own on the sandbox's server: VACUUMs here never change what other tests see, and the sandbox
workload's idle transaction in `app` (which keeps dead tuples there, as it would in production)
does not hold this database's dead tuples.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from cockpit.actions.maintenance import Relation, maintenance_request, run_maintenance
from cockpit.config import Database, Thresholds
from cockpit.db.sessions import SessionPolicy, connect_async
from cockpit.errors import ActionRefused, CockpitError
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.probes.bloat import exact_bloat, judge
from cockpit.probes.bloat_estimate import read_bloat
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.conftest import own_database

DATABASE = "bloat_tests"


def app_db(sandbox: Sandbox, user: str = "postgres") -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn(DATABASE, user=user))


def throttled_role(sandbox: Sandbox, name: str, *, delay_ms: int) -> str:
    """A role whose VACUUMs crawl (cost delay), so a small table shows its phases; its name."""
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {name}".encode())
        conn.execute(f"CREATE ROLE {name} LOGIN SUPERUSER".encode())
        conn.execute(f"ALTER ROLE {name} SET vacuum_cost_delay = '{delay_ms}ms'".encode())
        conn.execute(f"ALTER ROLE {name} SET vacuum_cost_limit = 1".encode())
    return name


@pytest.fixture
def bloated(sandbox: Sandbox) -> Iterator[str]:
    """A table of 40,000 rows, then every other row deleted and a third updated: its name."""
    name = f"bloat_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(own_database(sandbox, DATABASE, "pgstattuple"), autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {name} (id bigserial PRIMARY KEY, body text NOT NULL, n int NOT NULL)"
            " WITH (autovacuum_enabled = false)".encode()
        )
        conn.execute(
            f"INSERT INTO {name} (body, n) SELECT repeat(md5(i::text), 3), i FROM generate_series(1, 40000) i".encode()
        )
        conn.execute(f"DELETE FROM {name} WHERE id % 2 = 0".encode())
        conn.execute(f"UPDATE {name} SET n = n + 1 WHERE id % 3 = 0".encode())
        conn.execute(f"ANALYZE {name}".encode())
        conn.execute(b"CREATE TABLE IF NOT EXISTS tiny (id int) WITH (autovacuum_enabled = false)")
        conn.execute("INSERT INTO tiny SELECT generate_series(1, 100); DELETE FROM tiny; ANALYZE tiny")
    yield name
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}".encode())


async def read(sandbox: Sandbox, schema: str | None = "public"):  # type: ignore[no-untyped-def]
    async with await connect_async(app_db(sandbox), SessionPolicy(read_only=True)) as conn:
        return await read_bloat(conn, schema=schema)


async def test_the_estimate_is_close_to_pgstattuple(sandbox: Sandbox, bloated: str) -> None:
    reading = await read(sandbox)
    table = next(t for t in reading.tables if t.name == bloated)
    assert table.estimable and not table.locked and table.bloat_pct is not None
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), autocommit=True) as conn:
        exact = exact_bloat(conn, f"public.{bloated}", "table", timeout_ms=10_000)
    # The estimate counts dead tuples and free space together, as pages beyond what the live rows
    # need at the fillfactor; pgstattuple counts dead-tuple bytes plus free space. Reached here:
    # within 5 points of the table's size (tuple header rounding and page overheads).
    assert abs(table.bloat_pct - exact.wasted_pct) < 5, (table.bloat_pct, exact)
    assert exact.wasted_pct > 40  # the fixture really is bloated
    index = next(i for i in reading.indexes if i.name == f"{bloated}_pkey")
    assert index.bloat_pct is not None and index.bytes is not None
    findings = judge(reading, Thresholds(), "app")
    flagged = {(f.check, f.subject.split(":", 1)[1]) for f in findings if f.severity is not Severity.OK}
    assert ("bloat.table", f"public.{bloated}") in flagged
    assert ("bloat.dead_tuples", f"public.{bloated}") in flagged
    assert not [s for _, s in flagged if "tiny" in s]  # under 10 pages: never flagged


async def test_a_table_under_an_access_exclusive_lock_is_skipped_not_waited_on(
    sandbox: Sandbox, bloated: str
) -> None:
    with psycopg.connect(sandbox.postgres.dsn(DATABASE)) as migration:
        migration.execute(f"LOCK TABLE {bloated} IN ACCESS EXCLUSIVE MODE".encode())
        reading = await asyncio.wait_for(read(sandbox), timeout=5)  # SessionPolicy's lock_timeout is 1 s
        migration.rollback()
    table = next(t for t in reading.tables if t.name == bloated)
    assert table.locked and table.total_bytes is None and table.size_bytes > 0
    assert reading.exact_sizes  # the others were measured exactly
    assert any(f.check == "bloat.locked" for f in judge(reading, Thresholds(), "app"))


def test_vacuum_shows_progress_and_lowers_dead_tuples(
    sandbox: Sandbox, bloated: str, store: StateStore
) -> None:
    database = app_db(sandbox, user=throttled_role(sandbox, "slow_vacuum", delay_ms=2))
    target = Relation("public", bloated)
    guard = Guard(target="sandbox", store=store, read_only=False)
    messages: list[str] = []
    detail = guard.run(
        maintenance_request("vacuum_analyze", target, database),
        Confirmation(confirmed=True),
        lambda ctx: run_maintenance(ctx, "vacuum_analyze", target, database, SessionPolicy(), poll_s=0.1),
        on_progress=lambda update: messages.append(update.message),
    )
    assert any(m.startswith(f"vacuum {bloated}: scanning heap") for m in messages), messages
    assert any("blocks" in m for m in messages)
    assert re.search(r"dead tuples 2\d,\d{3} -> 0, ", detail), detail
    record = store.audit_records()[0]
    assert (record.action, record.result, record.detail) == ("bloat.vacuum_analyze", "ok", detail)


def test_a_held_lock_makes_the_action_give_up_and_name_the_holder(
    sandbox: Sandbox, bloated: str, store: StateStore
) -> None:
    guard = Guard(target="sandbox", store=store, read_only=False)
    target = Relation("public", bloated)
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), application_name="holder") as holder:
        holder.execute(f"LOCK TABLE {bloated} IN SHARE UPDATE EXCLUSIVE MODE".encode())
        with pytest.raises(CockpitError) as error:
            guard.run(
                maintenance_request("vacuum_analyze", target, app_db(sandbox)),
                Confirmation(confirmed=True),
                lambda ctx: run_maintenance(
                    ctx, "vacuum_analyze", target, app_db(sandbox), SessionPolicy(lock_timeout_ms=300)
                ),
            )
        holder_pid = holder.info.backend_pid
        holder.rollback()
    message = str(error.value)
    assert "gave up after lock_timeout (300 ms) instead of queueing" in message
    assert f"pid {holder_pid} (postgres, idle in transaction" in message and "LOCK TABLE" in message
    assert store.audit_records()[0].result == "failed"


def test_vacuum_full_and_reindex_shrink_and_are_audited(
    sandbox: Sandbox, bloated: str, store: StateStore
) -> None:
    guard = Guard(target="sandbox", store=store, read_only=False)
    table = Relation("public", bloated, size_bytes=1, index_bytes=1)
    request = maintenance_request("vacuum_full", table, app_db(sandbox))
    assert any("ACCESS EXCLUSIVE" in line for line in request.details)
    detail = guard.run(
        request,
        Confirmation(confirmed=True),
        lambda ctx: run_maintenance(ctx, "vacuum_full", table, app_db(sandbox), SessionPolicy()),
    )
    before, after = (part.strip() for part in detail.split(":", 1)[1].split(",")[0].split("->"))
    assert before != after
    index = Relation("public", f"{bloated}_pkey", kind="index", index_of=bloated)
    guard.run(
        maintenance_request("reindex_index", index, app_db(sandbox)),
        Confirmation(confirmed=True),
        lambda ctx: run_maintenance(ctx, "reindex_index", index, app_db(sandbox), SessionPolicy()),
    )
    assert [r.action for r in store.audit_records()] == ["bloat.reindex_index", "bloat.vacuum_full"]


def test_read_only_refuses_every_maintenance_action(
    sandbox: Sandbox, bloated: str, store: StateStore
) -> None:
    guard = Guard(target="sandbox", store=store, read_only=True)
    target = Relation("public", bloated)
    ran: list[int] = []
    for kind in ("vacuum_analyze", "analyze", "vacuum_full", "reindex_table"):
        request = maintenance_request(kind, target, app_db(sandbox))
        assert not guard.offers(request)
        with pytest.raises(ActionRefused, match="read-only"):
            guard.run(request, Confirmation(confirmed=True), lambda ctx: ran.append(1))
    assert ran == []


def test_exact_figures_without_the_extension_say_how_to_get_it(sandbox: Sandbox) -> None:
    with psycopg.connect(sandbox.postgres.dsn("postgres"), autocommit=True) as conn:  # no pgstattuple
        conn.execute("CREATE TABLE IF NOT EXISTS plain (id int)")
        with pytest.raises(CockpitError, match="CREATE EXTENSION pgstattuple"):
            exact_bloat(conn, "plain", "table", timeout_ms=1000)


def test_cancel_stops_the_vacuum_on_the_server(sandbox: Sandbox, bloated: str, store: StateStore) -> None:
    database = app_db(sandbox, user=throttled_role(sandbox, "slower_vacuum", delay_ms=50))
    target = Relation("public", bloated)
    guard = Guard(target="sandbox", store=store, read_only=False)
    from cockpit.errors import ActionCancelled
    from cockpit.guard import CancelToken

    token = CancelToken()
    threading.Timer(1.0, token.cancel).start()
    with pytest.raises(ActionCancelled):
        guard.run(
            maintenance_request("vacuum_analyze", target, database),
            Confirmation(confirmed=True),
            lambda ctx: run_maintenance(ctx, "vacuum_analyze", target, database, SessionPolicy(), poll_s=0.1),
            cancel=token,
        )
    assert store.audit_records()[0].result == "cancelled"
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), autocommit=True) as conn:
        running = conn.execute("SELECT count(*) FROM pg_stat_progress_vacuum").fetchone()
    assert running == (0,)


def test_dead_tuples_vacuum_cannot_remove_are_explained(sandbox: Sandbox, store: StateStore) -> None:
    """In `app`, the sandbox's idle-in-transaction session keeps dead tuples: VACUUM says who."""
    name = f"kept_{uuid.uuid4().hex[:8]}"
    database = Database(name="app", dsn=sandbox.postgres.dsn())
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (n int) WITH (autovacuum_enabled = false)".encode())
        conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 5000)".encode())
        conn.execute(f"DELETE FROM {name}".encode())
    try:
        guard = Guard(target="sandbox", store=store, read_only=False)
        target = Relation("public", name)
        detail = guard.run(
            maintenance_request("vacuum_analyze", target, database),
            Confirmation(confirmed=True),
            lambda ctx: run_maintenance(ctx, "vacuum_analyze", target, database, SessionPolicy()),
        )
    finally:
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP TABLE {name}".encode())
    assert "dead tuples 5,000 -> 5,000" in detail
    assert "dead tuples kept: pid" in detail and "idle in transaction" in detail
