"""Slow queries on real servers: statements, sessions, the lock tree, and safe signals."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from cockpit.actions.explain import explain
from cockpit.actions.signals import request_for, signal_sessions
from cockpit.actions.statements_reset import reset_request, reset_statements
from cockpit.config import Database, Thresholds
from cockpit.db.sessions import SessionPolicy, connect_async
from cockpit.errors import ActionRefused, CockpitError
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.probes.bloat_estimate import read_bloat
from cockpit.probes.queries import (
    DeltaMode,
    StatementsAvailability,
    StatementsReader,
    availability,
    blast_radius,
    judge,
    lock_tree,
    read_sessions,
)
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.state import StateStore

POSTGRES_15 = Path("/usr/lib/postgresql/15/bin")


def app_db(sandbox: Sandbox) -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn())


@pytest.fixture
def victim(sandbox: Sandbox) -> Iterator[int]:
    """A session of the test's own running a long query; its pid."""
    conn = psycopg.connect(sandbox.postgres.dsn(), application_name="victim", autocommit=True)
    pid = conn.info.backend_pid
    thread = threading.Thread(target=lambda: _swallow(conn, "SELECT pg_sleep(30)"), daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            row = watcher.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            if row and row[0] == "active":
                break
            time.sleep(0.05)
    yield pid
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
    thread.join(10)
    conn.close()


def _swallow(conn: psycopg.Connection, query: str) -> None:
    with contextlib.suppress(psycopg.Error):  # the tests cancel it
        conn.execute(query)


async def read_all(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    async with await connect_async(app_db(sandbox), SessionPolicy()) as conn:
        available = await availability(conn)
        assert available.schema is not None
        reader = StatementsReader(available.schema)
        statements = await reader.read(conn, "mean_exec_time")
        sessions = await read_sessions(conn)
    return available, reader, statements, sessions


async def test_statements_sessions_and_the_lock_tree(sandbox: Sandbox) -> None:
    deadline = time.monotonic() + 20
    while True:  # the workload's blocker/blocked pair and its first slow statement
        available, reader, statements, sessions = await read_all(sandbox)
        waiting = [s for s in sessions if s.blocked_by]
        slow = [s for s in statements if "pg_sleep" in s.text]
        if (waiting and slow) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert available.usable and available.privileged and available.guidance() == ""
    assert slow and slow[0].mean_ms > 500 and slow[0].text.startswith("SELECT pg_sleep")
    assert all(s.queryid in reader.texts for s in statements)  # texts cached by queryid
    assert waiting, "the sandbox's blocked session is missing"
    blocker_pid = waiting[0].blocked_by[0]
    blocker = next(s for s in sessions if s.pid == blocker_pid)
    assert blocker.state == "idle in transaction"
    tree = lock_tree(sessions)
    assert tree[0] == (0, blocker) and (1, waiting[0]) in tree
    assert blast_radius(sessions, blocker_pid) == 1
    findings = judge(statements, sessions, Thresholds(), available, "app")
    checks = {(f.check, f.severity) for f in findings}
    assert ("queries.slow_statement", Severity.WARN) in checks
    assert ("queries.blocking", Severity.WARN) in checks
    strict = judge(statements, sessions, Thresholds(idle_in_transaction_warn_s=0), available, "app")
    assert any(f.check == "queries.idle_in_transaction" for f in strict)


async def test_deltas_since_refresh_and_since_mark(sandbox: Sandbox) -> None:
    async with await connect_async(app_db(sandbox), SessionPolicy()) as conn:
        available = await availability(conn)
        assert available.schema is not None
        reader = StatementsReader(available.schema)
        await reader.read(conn)
        reader.mark()
        for _ in range(3):
            await conn.execute("SELECT count(*) FROM messages WHERE role = 'user'")
        since_refresh = await reader.read(conn, mode=DeltaMode.SINCE_REFRESH)
        since_mark = reader.view(DeltaMode.SINCE_MARK)
    counted = [s for s in since_refresh if "FROM messages WHERE role" in s.text]
    assert counted and counted[0].calls == 3
    assert [s.calls for s in since_mark if "FROM messages WHERE role" in s.text] == [3]
    assert all(s.calls > 0 for s in since_refresh)


async def test_a_row_read_unchanged_gives_back_the_same_statement(sandbox: Sandbox) -> None:
    """At a 1 s refresh most of the top statements are unchanged from one read to the next: the
    reader hands back the same object for a row the server returns unchanged (the statements
    table then skips it by identity), and builds anew the ones that ran meanwhile."""
    probe = "SELECT pg_sleep(0.2) AS reader_reuse_probe"
    async with await connect_async(app_db(sandbox), SessionPolicy()) as conn:
        available = await availability(conn)
        assert available.schema is not None
        reader = StatementsReader(available.schema)
        await conn.execute(probe)
        first = {s.key: s for s in await reader.read(conn, "mean_exec_time")}
        await conn.execute(probe)
        second = await reader.read(conn, "mean_exec_time")
        by_calls = await reader.read(conn, "calls")  # each order its own query
    unchanged = [s for s in second if first.get(s.key) == s]
    assert unchanged and all(first[s.key] is s for s in unchanged)
    ran = [s for s in second if "reader_reuse_probe" in s.text]
    assert len(ran) == 1 and first[ran[0].key] is not ran[0]
    assert ran[0].calls == first[ran[0].key].calls + 1
    assert [s.key for s in by_calls] == [s.key for s in sorted(by_calls, key=lambda s: -s.calls)]


async def test_a_statement_run_top_level_and_nested_is_one_row(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_stat_statements (14+, track = all) keeps a statement run both top-level and inside a
    function as two entries; the pane keys rows by statement, user and database, so the reader
    sums them (two rows under one key lost one and shuffled the order)."""
    from cockpit.probes import queries

    # Every statement, not the top 200 by calls: late in a full run the shared sandbox can hold
    # more than 200 statements called more often than this probe's 3.
    monkeypatch.setattr(queries, "STATEMENT_LIMIT", 100_000)
    shape = "count(*) FROM messages WHERE role = {} AND length(role) > {} AND length(role) < {}"
    probe = "SELECT " + shape.format("'nested-probe'", 1, 99)
    async with await connect_async(app_db(sandbox), SessionPolicy()) as conn:
        available = await availability(conn)
        assert available.schema is not None
        await conn.execute("SET pg_stat_statements.track = 'all'")
        await conn.execute(probe)
        await conn.execute(probe)
        await conn.execute("DO $$ BEGIN PERFORM " + shape.format("'nested-probe'", 1, 99) + "; END $$")
        normalized = "SELECT " + shape.format("$1", "$2", "$3")
        entries = await conn.execute(
            "SELECT toplevel, calls FROM pg_stat_statements WHERE query = %s ORDER BY toplevel", [normalized]
        )
        split = await entries.fetchall()
        statements = await StatementsReader(available.schema).read(conn, "calls")
    assert split == [(False, 1), (True, 2)]  # the server's two entries for the one statement
    found = [s for s in statements if s.text == normalized]
    assert len(found) == 1 and found[0].calls == 3
    assert len({s.key for s in statements}) == len(statements)


async def test_missing_extension_gives_the_exact_fix(sandbox: Sandbox) -> None:
    with psycopg.connect(sandbox.postgres.dsn("postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS noext")
        admin.execute("CREATE DATABASE noext")
    database = Database(name="noext", dsn=sandbox.postgres.dsn("noext"))
    async with await connect_async(database, SessionPolicy()) as conn:
        available = await availability(conn)
        sessions = await read_sessions(conn)
    assert available.preloaded and available.schema is None and not available.usable
    assert available.guidance() == (
        "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements"
    )
    finding = judge(None, sessions, Thresholds(), available, "noext")[0]
    assert finding.severity is Severity.WARN and "shared_preload_libraries" in finding.hint
    assert "shared_preload_libraries" in StatementsAvailability(None, False, True).guidance()
    assert "pg_read_all_stats" in StatementsAvailability("public", True, False).guidance()


async def test_cancel_signals_the_session_shown(sandbox: Sandbox, victim: int, store: StateStore) -> None:
    _, _, _, sessions = await read_all(sandbox)
    target = next(s for s in sessions if s.pid == victim)
    guard = Guard(target="sandbox", store=store, read_only=False)
    request = request_for("cancel", app_db(sandbox), [target])
    results = guard.run(
        request,
        Confirmation(confirmed=True),
        lambda ctx: signal_sessions(ctx, "cancel", app_db(sandbox), SessionPolicy(), [target]),
    )
    assert [r.outcome for r in results] == ["cancelled"]
    record = store.audit_records()[0]
    assert record.result == "ok" and f"{victim} (postgres): cancelled" in record.detail
    assert record.params["sessions"][0]["query"] == "SELECT pg_sleep(30)"


async def test_a_recycled_pid_is_never_signalled(sandbox: Sandbox, victim: int, store: StateStore) -> None:
    _, _, _, sessions = await read_all(sandbox)
    seen = next(s for s in sessions if s.pid == victim)
    # The pid the operator saw, but another backend's start: what a reused pid looks like.
    reused = replace(seen, backend_start=seen.backend_start - timedelta(seconds=5))
    changed_query = replace(seen, query_start=seen.query_start - timedelta(seconds=5))  # type: ignore[operator]
    guard = Guard(target="sandbox", store=store, read_only=False)
    results = guard.run(
        request_for("terminate", app_db(sandbox), [reused]),
        Confirmation(confirmed=True),
        lambda ctx: signal_sessions(ctx, "terminate", app_db(sandbox), SessionPolicy(), [reused]),
    )
    assert str(results[0]).startswith("refused: not the session shown")
    results = guard.run(
        request_for("cancel", app_db(sandbox), [changed_query]),
        Confirmation(confirmed=True),
        lambda ctx: signal_sessions(ctx, "cancel", app_db(sandbox), SessionPolicy(), [changed_query]),
    )
    assert results[0].outcome == "refused"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as watcher:
        assert watcher.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (victim,)).fetchone() == (
            "active",
        )


async def test_read_only_refuses_signals_though_sql_would_not(
    sandbox: Sandbox, victim: int, store: StateStore
) -> None:
    _, _, _, sessions = await read_all(sandbox)
    target = next(s for s in sessions if s.pid == victim)
    guard = Guard(target="sandbox", store=store, read_only=True)
    request = request_for("terminate", app_db(sandbox), [target])
    assert not guard.offers(request)
    with pytest.raises(ActionRefused, match="read-only"):
        guard.run(
            request,
            Confirmation(confirmed=True),
            lambda ctx: signal_sessions(ctx, "terminate", app_db(sandbox), SessionPolicy(), [target]),
        )
    # Why the guard matters: a read-only transaction does not stop the function itself.
    with psycopg.connect(
        sandbox.postgres.dsn(), autocommit=True, options="-c default_transaction_read_only=on"
    ) as observer:
        assert observer.execute("SELECT pg_cancel_backend(%s)", (victim,)).fetchone() == (True,)


@pytest.mark.skipif(
    not (POSTGRES_15 / "postgres").exists(),
    reason="Debian's postgresql-15 is not installed (tests/run installs it as root)",
)
async def test_the_same_sql_on_postgresql_15(tmp_path: Path) -> None:
    server = SandboxPostgres(tmp_path / "pg15", binaries=POSTGRES_15)
    server.init()
    server.start()
    try:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as admin:
            admin.execute("CREATE EXTENSION pg_stat_statements")
            assert admin.execute("SHOW server_version_num").fetchone()[0].startswith("15")  # type: ignore[index]
            admin.execute("SELECT pg_sleep(0.01)")
            admin.execute(
                "CREATE TABLE churn (id int PRIMARY KEY, body text) WITH (autovacuum_enabled = false)"
            )
            admin.execute("INSERT INTO churn SELECT g, repeat('x', 80) FROM generate_series(1, 5000) g")
            admin.execute("DELETE FROM churn WHERE id % 2 = 0")
            admin.execute("ANALYZE churn")
        database = Database(name="pg15", dsn=server.dsn("postgres"))
        async with await connect_async(database, SessionPolicy()) as conn:
            available = await availability(conn)
            assert available.usable and available.schema == "public"
            statements = await StatementsReader("public").read(conn)
            sessions = await read_sessions(conn)
            bloat = await read_bloat(conn)  # the Bloat pane's catalog SQL, on 15
        churn = next(t for t in bloat.tables if t.name == "churn")
        assert churn.dead_tuples == 2500 and churn.table_bytes and churn.bloat_pct and churn.bloat_pct > 30
        assert [i.name for i in bloat.indexes] == ["churn_pkey"]
        assert any("pg_sleep" in s.text for s in statements)
        assert isinstance(sessions, list)
        from cockpit.probes.postgres import PgHealthMonitor

        monitor = PgHealthMonitor(database, SessionPolicy())
        reading = await monitor.read()
        await monitor.aclose()
        assert reading.reachable and reading.version.startswith("15")
        # PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN): the PREPARE path gives one all the same.
        plan = explain(database, SessionPolicy(read_only=True), "SELECT * FROM pg_class WHERE oid = $1")
        assert "$1" in "\n".join(plan)
    finally:
        server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[SandboxPostgres]:
    """A server of the test's own: resetting statistics must not disturb the shared sandbox."""
    server = SandboxPostgres(tmp_path / "pg")
    server.init()
    server.start()
    try:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as admin:
            admin.execute("CREATE EXTENSION pg_stat_statements")
            admin.execute("CREATE ROLE watcher LOGIN")
        yield server
    finally:
        server.stop()


def test_reset_statements_is_guarded_audited_and_explains_privileges(
    own_server: SandboxPostgres, store: StateStore
) -> None:
    database = Database(name="own", dsn=own_server.dsn("postgres"))
    with psycopg.connect(own_server.dsn("postgres"), autocommit=True) as conn:
        for n in range(3):
            conn.execute(f"SELECT {n} AS a{n}, 'x' || {n}")  # distinct statements
    guard = Guard(target="own", store=store, read_only=False)
    unprivileged = Database(name="own", dsn=own_server.dsn("postgres", user="watcher"))
    with pytest.raises(CockpitError, match="GRANT EXECUTE ON FUNCTION public.pg_stat_statements_reset"):
        guard.run(
            reset_request(unprivileged),
            Confirmation(confirmed=True),
            lambda ctx: reset_statements(ctx, unprivileged, SessionPolicy(), "public"),
        )
    discarded = guard.run(
        reset_request(database),
        Confirmation(confirmed=True),
        lambda ctx: reset_statements(ctx, database, SessionPolicy(), "public"),
    )
    assert discarded >= 3
    with psycopg.connect(own_server.dsn("postgres"), autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%AS a1%'").fetchone()
    assert left == (0,)
    records = store.audit_records()
    assert [(r.action, r.result) for r in records] == [
        ("queries.reset_statements", "ok"),
        ("queries.reset_statements", "failed"),
    ]
    assert records[0].detail == f"{discarded} statements discarded"
    observer = Guard(target="own", store=store, read_only=True)
    assert not observer.offers(reset_request(database))
    with pytest.raises(ActionRefused, match="read-only"):
        observer.run(
            reset_request(database),
            Confirmation(confirmed=True),
            lambda ctx: reset_statements(ctx, database, SessionPolicy(), "public"),
        )


async def test_passwords_in_statement_texts_never_reach_the_screen(sandbox: Sandbox) -> None:
    """pg_stat_statements keeps CREATE ROLE ... PASSWORD '...' verbatim: the reader masks it."""
    secret = "statement-text-secret-4711"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE masked_probe LOGIN PASSWORD '{secret}'".encode())
        admin.execute("DROP ROLE masked_probe")
        verbatim = admin.execute(
            "SELECT count(*) FROM pg_stat_statements WHERE query LIKE %s", (f"%{secret}%",)
        ).fetchone()
    assert verbatim == (1,)  # the server really keeps it
    async with await connect_async(app_db(sandbox), SessionPolicy()) as conn:
        reader = StatementsReader("public")
        await reader.read(conn, "calls")
        await reader._fetch_texts(conn, await _queryids_like(conn, "%masked_probe%"))
    texts = [t for t in reader.texts.values() if "masked_probe" in t]
    assert "CREATE ROLE masked_probe LOGIN PASSWORD '********'" in texts
    assert not [t for t in texts if secret in t]


async def _queryids_like(conn: psycopg.AsyncConnection, pattern: str) -> list[int]:
    cursor = await conn.execute("SELECT queryid FROM pg_stat_statements WHERE query LIKE %s", (pattern,))
    return [int(row[0]) for row in await cursor.fetchall()]
