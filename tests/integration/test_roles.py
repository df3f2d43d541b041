"""The roles a real estate gives the cockpit, as non-superusers (tests/estate.py): the operator
runs every action the README grants it, and each missing privilege is refused with the exact
GRANT to run. That the README's "Database roles" section is the fixture's SQL, word for word, is
tests/unit/test_roles.py."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Iterator

import psycopg
import pytest

from cockpit.actions.maintenance import EVERY_TABLE, Relation, maintenance_request, run_maintenance
from cockpit.actions.signals import request_for, signal_sessions
from cockpit.actions.statements_reset import reset_request, reset_statements
from cockpit.db.sessions import SessionPolicy, connect_async
from cockpit.errors import CockpitError
from cockpit.guard import Confirmation, Guard
from cockpit.probes.bloat import exact_bloat
from cockpit.probes.queries import Session, read_sessions
from cockpit.state import StateStore
from tests.estate import BARE, OBSERVER, OPERATOR, RESTORE, ROLE_SQL, EstateRoles

YES = Confirmation(confirmed=True)


def test_the_roles_are_non_superusers_with_password_auth(estate: EstateRoles) -> None:
    for role in (*ROLE_SQL, BARE):
        with psycopg.connect(estate.dsn(role)) as conn:  # the password from the passfile
            superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
            assert superuser == (False,)
        with pytest.raises(psycopg.OperationalError, match="no password supplied"):
            psycopg.connect(estate.dsn(role).partition("?")[0])  # without it: refused


@contextlib.contextmanager
def sleeper(estate: EstateRoles, role: str = OBSERVER) -> Iterator[tuple[str, int]]:
    """A session of ``role``'s running a long statement: (its user, its pid). Started after any
    REINDEX CONCURRENTLY, which waits for every older snapshot to end."""
    conn = psycopg.connect(estate.dsn(role), autocommit=True)
    pid = conn.info.backend_pid
    thread = threading.Thread(target=lambda: _quietly(conn, "SELECT pg_sleep(60)"), daemon=True)
    thread.start()
    try:
        yield role, pid
    finally:
        with psycopg.connect(estate.superuser_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
        thread.join(10)
        conn.close()


def _quietly(conn: psycopg.Connection, statement: str) -> None:
    with contextlib.suppress(psycopg.Error):  # cancelled or terminated: what the test did
        conn.execute(statement.encode())


def session_of(estate: EstateRoles, pid: int) -> Session:
    async def read() -> list[Session]:
        async with await connect_async(estate.database(OPERATOR), SessionPolicy()) as conn:
            return await read_sessions(conn)

    for _ in range(50):
        found = [s for s in asyncio.run(read()) if s.pid == pid and s.query.startswith("SELECT pg_sleep")]
        if found:
            return found[0]
        threading.Event().wait(0.1)
    raise AssertionError(f"no session {pid} running pg_sleep")


def test_the_operator_role_runs_every_action(estate: EstateRoles, store: StateStore) -> None:
    operator = estate.database(OPERATOR)
    guard = Guard(target="estate", store=store, read_only=False)
    for kind, target in (
        ("vacuum_analyze", Relation("public", "audit_log")),
        ("reindex_table", Relation("public", "sessions")),
    ):
        detail = guard.run(
            maintenance_request(kind, target, operator),  # type: ignore[arg-type]
            YES,
            lambda ctx, kind=kind, target=target: run_maintenance(
                ctx, kind, target, operator, SessionPolicy()
            ),
        )
        assert detail.startswith(f"{target.qualified}: ") and "may not" not in detail
    with psycopg.connect(estate.superuser_dsn) as conn:
        assert conn.execute(
            "SELECT vacuum_count > 0 FROM pg_stat_user_tables WHERE relname = 'audit_log'"
        ).fetchone() == (True,)
    with psycopg.connect(estate.dsn(OPERATOR), autocommit=True) as conn:
        exact = exact_bloat(conn, "public.user_feedback", "table", timeout_ms=10_000)
    assert exact.bytes > 0
    with sleeper(estate) as (_user, pid):
        seen = session_of(estate, pid)
        results = guard.run(
            request_for("cancel", operator, [seen]), YES,
            lambda ctx: signal_sessions(ctx, "cancel", operator, SessionPolicy(), [seen]),
        )  # fmt: skip
    assert [r.outcome for r in results] == ["cancelled"]
    discarded = guard.run(
        reset_request(operator), YES, lambda ctx: reset_statements(ctx, operator, SessionPolicy(), "public")
    )
    assert discarded >= 0
    assert {r.result for r in store.audit_records()} == {"ok"}


def test_each_missing_privilege_says_the_grant_to_run(estate: EstateRoles, store: StateStore) -> None:
    bare = estate.database(BARE)
    guard = Guard(target="estate", store=store, read_only=False)
    vacuum = Relation("public", "audit_log")
    with pytest.raises(CockpitError) as refused:
        guard.run(
            maintenance_request("vacuum_analyze", vacuum, bare), YES,
            lambda ctx: run_maintenance(ctx, "vacuum_analyze", vacuum, bare, SessionPolicy()),
        )  # fmt: skip
    # (VACUUM itself would only warn and skip the table: the action would have read as a success.)
    assert str(refused.value) == (
        "VACUUM (ANALYZE) public.audit_log: cockpit_bare may not maintain a table owned by "
        'app_owner: GRANT MAINTAIN ON TABLE "public"."audit_log" TO cockpit_bare '
        "(or GRANT app_owner TO cockpit_bare: the owner's privileges)"
    )
    index = Relation("public", "sessions_user_id", kind="index", index_of="sessions")
    with pytest.raises(CockpitError, match=r'GRANT MAINTAIN ON TABLE "public"."sessions" TO cockpit_bare'):
        guard.run(
            maintenance_request("reindex_index", index, bare), YES,
            lambda ctx: run_maintenance(ctx, "reindex_index", index, bare, SessionPolicy()),
        )  # fmt: skip
    every = EVERY_TABLE
    detail = guard.run(
        maintenance_request("vacuum_analyze", every, bare), YES,
        lambda ctx: run_maintenance(ctx, "vacuum_analyze", every, bare, SessionPolicy()),
    )  # fmt: skip
    # Nothing vacuumed: as many dead tuples after as before (how many depends on what the other
    # tests on this worker's sandbox did first).
    assert re.search(
        r"dead tuples ([\d,]+) -> \1, [\d.]+s; skipped 8 tables this role may not maintain: "
        r"GRANT pg_maintain TO cockpit_bare \(or GRANT app_owner TO cockpit_bare: the owner's privileges\)$",
        detail,
    ), detail
    with psycopg.connect(estate.dsn(BARE), autocommit=True) as conn, pytest.raises(CockpitError) as scan:
        exact_bloat(conn, "public.user_feedback", "table", timeout_ms=10_000)
    assert str(scan.value) == "pgstattuple needs privilege: GRANT pg_stat_scan_tables TO cockpit_bare"
    with sleeper(estate) as (user, pid):
        seen = session_of(estate, pid)
        results = guard.run(
            request_for("cancel", bare, [seen]), YES,
            lambda ctx: signal_sessions(ctx, "cancel", bare, SessionPolicy(), [seen]),
        )  # fmt: skip
    assert [str(r) for r in results] == [
        f"refused: cockpit_bare cannot see {user}'s sessions to re-check this one: "
        "GRANT pg_read_all_stats TO cockpit_bare (pg_monitor holds it)"
    ]
    observer = estate.database(OBSERVER)  # sees every session (pg_monitor), may signal none
    with sleeper(estate, role=RESTORE) as (user, pid):
        seen = session_of(estate, pid)
        results = guard.run(
            request_for("cancel", observer, [seen]), YES,
            lambda ctx: signal_sessions(ctx, "cancel", observer, SessionPolicy(), [seen]),
        )  # fmt: skip
    assert [str(r) for r in results] == [
        f"refused: cockpit_observer may not signal {user}'s sessions: "
        "GRANT pg_signal_backend TO cockpit_observer"
    ]
    with pytest.raises(CockpitError) as reset:
        guard.run(
            reset_request(bare), YES, lambda ctx: reset_statements(ctx, bare, SessionPolicy(), "public")
        )
    assert str(reset.value) == (
        "database estate: no privilege to reset statistics: "
        "GRANT EXECUTE ON FUNCTION public.pg_stat_statements_reset TO cockpit_bare"
    )


def test_a_role_without_pg_read_all_stats_is_told_the_grant(estate: EstateRoles) -> None:
    from cockpit.probes.queries import availability

    async def read(role: str) -> str:
        async with await connect_async(estate.database(role), SessionPolicy()) as conn:
            return (await availability(conn)).guidance()

    assert asyncio.run(read(BARE)) == (
        "other users' statements are hidden: GRANT pg_read_all_stats TO cockpit_bare"
    )
    assert asyncio.run(read(OBSERVER)) == ""  # pg_monitor holds it


def test_pg_signal_backend_cannot_signal_a_superusers_session(estate: EstateRoles, store: StateStore) -> None:
    conn = psycopg.connect(estate.superuser_dsn, autocommit=True)
    thread = threading.Thread(target=lambda: _quietly(conn, "SELECT pg_sleep(60)"), daemon=True)
    thread.start()
    try:
        target = session_of(estate, conn.info.backend_pid)
        operator = estate.database(OPERATOR)
        results = Guard(target="estate", store=store, read_only=False).run(
            request_for("terminate", operator, [target]), YES,
            lambda ctx: signal_sessions(ctx, "terminate", operator, SessionPolicy(), [target]),
        )  # fmt: skip
        assert [str(r) for r in results] == [
            "refused: postgres is a superuser, whose sessions only a superuser may signal (no GRANT allows it)"
        ]
    finally:
        with psycopg.connect(estate.superuser_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", (conn.info.backend_pid,))
        thread.join(10)
        conn.close()
