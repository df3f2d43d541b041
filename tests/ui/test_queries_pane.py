"""The Queries pane on the real sandbox, read-only behaviour, and its tables' layout."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import psycopg
from textual.app import App, ComposeResult
from textual.widgets import Input, Label, Static

from cockpit.config import load_config
from cockpit.probes.queries import Session, Statement, blocking, lock_tree
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from screens.confirm import ConfirmScreen
from screens.queries_pane import QueriesPane
from screens.statement_detail import StatementDetail
from tests.ui.conftest import wait_until
from widgets.queries_tables import HintsTable, LockTree, SessionsTable, StatementsTable


async def test_statements_sessions_and_a_cancel(sandbox: Sandbox, store) -> None:
    victim = psycopg.connect(sandbox.postgres.dsn(), application_name="victim", autocommit=True)
    pid = victim.info.backend_pid
    outcome: list[str] = []

    def run() -> None:
        try:
            victim.execute("SELECT pg_sleep(30)")
            outcome.append("finished")
        except psycopg.errors.QueryCanceled:
            outcome.append("cancelled")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")  # the digit takes the keys into the pane
            statements = app.query_one(StatementsTable)

            def texts() -> list[str]:
                return [str(statements.cell(key, "query")) for key in statements.row_keys]

            # The sandbox's workload runs its slow statement every 5 s.
            await wait_until(pilot, lambda: any("pg_sleep" in text for text in texts()), timeout=20)
            await pilot.press("v")
            sessions = app.query_one(SessionsTable)
            await wait_until(pilot, lambda: str(pid) in set(sessions.row_keys))
            sessions.move_cursor_to(sessions.row_index(str(pid)))
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert f"{pid} (postgres)" in app.screen.summary
            await pilot.click("#confirm-run")
            await wait_until(pilot, lambda: bool(outcome), timeout=10)
    finally:
        thread.join(35)
        victim.close()
    assert outcome == ["cancelled"]
    record = store.audit_records()[0]
    assert record.action == "queries.cancel" and record.result == "ok"


async def test_read_only_offers_no_signal(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2", "v")
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert "v" in keys and "c" not in keys and "K" not in keys
        await pilot.press("c", "K")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert store.audit_records() == []


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def session(pid: int, state: str, query: str, age: float | None, blocked_by: tuple[int, ...] = ()) -> Session:
    start = NOW - timedelta(seconds=age or 0)
    return Session(
        pid,
        "app",
        "app",
        "api",
        "10.0.0.5",
        state,
        "Lock:tuple" if blocked_by else "",
        NOW - timedelta(hours=1),
        start if age else None,
        start,
        age,
        age,
        query,
        blocked_by,
    )


SESSIONS = [
    session(101, "idle in transaction", "UPDATE feature_flags SET enabled = true WHERE name = $1", 420.0),
    session(102, "active", "UPDATE feature_flags SET kill_switch = true WHERE name = $1", 30.0, (101,)),
    session(103, "active", "SELECT * FROM audit_log WHERE created_at < now() - interval '90 days'", 2.0),
]
STATEMENTS = [
    Statement(
        1, "app", "app", 452, 271_000.0, 600.0, 452, 0, 0, "SELECT pg_sleep($1), count(*) FROM sessions"
    ),
    Statement(
        2, "app", "app", 95_000, 114.0, 0.0012, 95_000, 12, 0, 'SELECT $2 FROM ONLY "public"."profiles"'
    ),
]


class QueriesTablesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatementsTable()
        yield SessionsTable()
        yield LockTree()

    def on_mount(self) -> None:
        self.query_one(StatementsTable).show(STATEMENTS, slow_ms=500)
        self.query_one(SessionsTable).show(SESSIONS, long_s=300, idle_s=300, blocking=blocking(SESSIONS))
        self.query_one(LockTree).show(lock_tree(SESSIONS))


def test_queries_tables_80x24(snap_compare) -> None:
    assert snap_compare(QueriesTablesApp(), terminal_size=(80, 24))


def test_queries_tables_160x48(snap_compare) -> None:
    assert snap_compare(QueriesTablesApp(), terminal_size=(160, 48))


def test_fixed_rows_are_what_they_claim() -> None:
    tree = lock_tree(SESSIONS)
    assert [(depth, s.pid if s else None) for depth, s in tree] == [(0, 101), (1, 102)]


def _victims(sandbox: Sandbox, count: int, application: str) -> tuple[list[psycopg.Connection], list[str]]:
    """Sessions of the test's own, each running a long sleep; their outcomes fill the list."""
    outcomes: list[str] = []
    conns = [
        psycopg.connect(sandbox.postgres.dsn(), application_name=application, autocommit=True)
        for _ in range(count)
    ]

    def run(conn: psycopg.Connection) -> None:
        try:
            conn.execute("SELECT pg_sleep(30)")
            outcomes.append("finished")
        except psycopg.errors.QueryCanceled:
            outcomes.append("cancelled")
        except psycopg.Error:  # closed by the test's cleanup
            outcomes.append("closed")

    for conn in conns:
        threading.Thread(target=run, args=(conn,), daemon=True).start()
    return conns, outcomes


async def test_a_filter_chooses_the_group_and_the_confirmation_lists_it(sandbox: Sandbox, store) -> None:
    conns, outcomes = _victims(sandbox, 2, "group-victim")
    bystander, bystander_outcome = _victims(sandbox, 1, "bystander")
    pids = {c.info.backend_pid for c in conns}
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2", "v")
            sessions = app.query_one(SessionsTable)
            await wait_until(pilot, lambda: pids <= {int(k) for k in sessions.row_keys})
            await pilot.press("C")  # no filter yet: refused with a hint, nothing asked
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.press("slash", *"usr:x", "enter")  # a typo is a one-line error
            await pilot.pause()
            assert any("unknown filter usr:" in n.message for n in app._notifications)
            await pilot.press("ctrl+a", "ctrl+k", *"group-victim", "enter")
            await wait_until(pilot, lambda: {int(k) for k in sessions.row_keys} == pids)
            await pilot.press("C")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert len(app.screen.details) == 2
            assert {int(line.split()[0]) for line in app.screen.details} == pids
            await pilot.click("#confirm-run")
            await wait_until(pilot, lambda: len(outcomes) == 2, timeout=10)
    finally:
        for conn in conns + bystander:
            with contextlib.suppress(Exception):
                conn.cancel_safe()
            conn.close()
    assert outcomes == ["cancelled", "cancelled"]
    assert bystander_outcome in ([], ["cancelled"], ["closed"])  # untouched until the cleanup
    record = store.audit_records()[0]
    assert record.action == "queries.cancel" and record.result == "ok"
    assert {s["pid"] for s in record.params["sessions"]} == pids


async def test_statement_detail_explains_and_hints_are_labelled(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        pane = app.query_one(QueriesPane)
        await wait_until(pilot, lambda: any("pg_sleep" in s.text for s in pane.statements))
        table = app.query_one(StatementsTable)
        statement = next(s for s in pane.statements if "pg_sleep" in s.text)
        table.move_cursor_to(table.row_index(statement.key))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StatementDetail)
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert "e" in keys and "a" not in keys  # ANALYZE runs the statement: not for observers
        await pilot.press("e")
        plan = app.screen.query_one("#plan", Static)
        await wait_until(pilot, lambda: "generic plan" in str(plan.render()))
        assert "cost=" in str(plan.render())
        await pilot.press("a")  # absent: nothing happens, nothing is audited
        await pilot.press("escape", "v", "v", "v")
        hints = app.query_one(HintsTable)
        status = app.query_one("#queries-status", Label)
        await wait_until(pilot, lambda: hints.row_count > 0)
        assert "hints, not verdicts" in str(status.render())
        kinds = {str(hints.cell(k, "hint")) for k in hints.row_keys}
        assert "unused index" in kinds
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert not keys & {"c", "K", "C", "X", "R"}
    assert store.audit_records() == []


async def test_explain_analyze_is_guarded_and_audited(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    statement = Statement(
        7, "postgres", "app", 1, 1.0, 1.0, 1, 0, 0, "SELECT count(*) FROM profiles WHERE id > $1"
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        pane = app.query_one(QueriesPane)
        pane.open_statement(statement)
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, StatementDetail)
        await pilot.press("a")  # values missing: said, nothing asked
        await pilot.pause()
        assert "type values for its 1 parameters" in str(detail.query_one("#plan", Static).render())
        await pilot.click("#statement-values")
        await pilot.press("1", "0", "a")  # typing in the box types; the key only acts outside it
        detail.query_one("#statement-values", Input).value = "10"
        detail.set_focus(None)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-run")
        plan = detail.query_one("#plan", Static)
        await wait_until(pilot, lambda: "rolled back" in str(plan.render()))
        assert "actual time=" in str(plan.render())
    record = store.audit_records()[0]
    assert record.action == "queries.explain_analyze" and record.result == "ok"
    assert "Execution Time" in record.detail


async def test_a_frozen_session_is_given_up_said_and_replaced(sandbox: Sandbox, store) -> None:
    """The pane's session's backend stopped (SIGSTOP: a real frozen server, the connection still
    open): the read ends at its deadline and the status line says so; once the server answers
    again, a new session takes over. Before, the pane waited forever, its rows looking current."""
    import os
    import signal

    import msgspec

    config = load_config(sandbox.config_path)
    quick = msgspec.structs.replace(config.settings, statement_timeout_ms=1000, connect_timeout_s=1)
    app = CockpitApp(msgspec.structs.replace(config, settings=quick).with_refresh(0.5), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        pane = app.query_one(QueriesPane)
        await wait_until(
            pilot,
            lambda: pane.session.connection is not None and bool(app.query_one(StatementsTable).row_count),
        )
        frozen = pane.session.connection.info.backend_pid
        status = app.query_one("#queries-status", Label)
        os.kill(frozen, signal.SIGSTOP)
        try:
            await wait_until(pilot, lambda: "no answer in 2 s" in str(status.render()), timeout=10)
            # One line naming the database once: the error says whose it is.
            assert str(status.render()).startswith(f"database {pane.database.name}: no answer in 2 s")
        finally:
            os.kill(frozen, signal.SIGCONT)
        await wait_until(pilot, lambda: "no answer" not in str(status.render()), timeout=10)
        assert pane.session.connection is not None and pane.session.connection.info.backend_pid != frozen
