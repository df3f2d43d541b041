"""Sessions and the lock tree on the real sandbox (issue 23 item 6).

Enter on a session did nothing useful (its row's columns, cut); who was blocked was shown by
colour alone (under NO_COLOR a dim grey); the lock tree showed the blocker but `c`/`K` did
nothing there; at 80 columns the sort column could be hidden. Each test makes its own real
blocker: one session holds a row lock in an open transaction, another waits for it.
"""

from __future__ import annotations

import psycopg
import pytest
from textual.app import App, ComposeResult

from cockpit.config import load_config
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from screens.confirm import ConfirmScreen
from screens.queries_pane import QueriesPane
from screens.row_detail import RowDetail
from tests.conftest import Blocker
from tests.ui.conftest import screen_text, wait_until
from tests.ui.test_queries_pane import SESSIONS, STATEMENTS
from widgets.queries_tables import LockTree, SessionsTable, StatementsTable, session_details


async def test_enter_on_a_waiting_session_shows_all_of_it(sandbox: Sandbox, store, blocker: Blocker) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "v")
        table = app.query_one(SessionsTable)
        waiter = str(blocker.waiter_pid)
        await wait_until(pilot, lambda: waiter in set(table.row_keys))
        # In words, in a column shown at 80 columns: not colour alone.
        await wait_until(
            pilot, lambda: str(table.cell(waiter, "locks")) == f"WAITING for {blocker.holder_pid}"
        )
        assert str(table.cell(str(blocker.holder_pid), "locks")) == "BLOCKING 1"
        assert "LOCKS" in screen_text(app) and "XACT ▼" in screen_text(app)
        table.move_cursor_to(table.row_index(waiter))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RowDetail)
        shown = dict(app.screen.cells)
        assert str(shown["waiting for"]).startswith(
            f"{blocker.holder_pid} (postgres, idle in transaction: UPDATE"
        )
        assert str(shown["wait event"]) == "Lock:transactionid"
        assert str(shown["application"]) == "test-waiter"
        assert f"UPDATE {blocker.table} SET n = n + 10 WHERE id = $1" in str(shown["query"]) or (
            f"UPDATE {blocker.table} SET n = n + 10 WHERE id = 1" in str(shown["query"])
        )
        assert str(shown["query start"]).endswith("ago)")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RowDetail)


async def test_terminate_from_the_lock_tree_ends_the_selected_blocker(
    sandbox: Sandbox, store, blocker: Blocker
) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "v", "v")
        pane = app.query_one(QueriesPane)
        tree = app.query_one(LockTree)
        assert pane.view == "locks"
        await wait_until(pilot, lambda: blocker.holder_pid in tree._pids())
        await pilot.press("home")
        for _ in range(len(tree._pids())):  # the keys, as the operator moves
            if tree.selected_pid == blocker.holder_pid:
                break
            await pilot.press("down")
        assert f"▶ {blocker.holder_pid} postgres idle in transaction BLOCKING 1" in screen_text(app)
        await pilot.press("enter")  # the node's session, whole
        await pilot.pause()
        assert isinstance(app.screen, RowDetail) and app.screen.title_text == f"session {blocker.holder_pid}"
        assert str(dict(app.screen.cells)["blocking"]).startswith(f"{blocker.waiter_pid} (postgres, active")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("K")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert str(app.screen.query_one("#confirm-run").label).strip() == f"Terminate {blocker.holder_pid}"
        await pilot.press("left", "enter")
        await wait_until(pilot, lambda: bool(blocker.waiter_outcome), timeout=15)
    assert blocker.waiter_outcome == ["updated"]  # the waiter went on: its blocker, and only it, ended
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        alive = {r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity").fetchall()}
    assert blocker.holder_pid not in alive and blocker.waiter_pid in alive
    record = store.audit_records()[0]
    assert (record.action, record.result) == ("queries.terminate", "ok")
    assert [s["pid"] for s in record.params["sessions"]] == [blocker.holder_pid]
    assert "terminated" in record.detail


class SortedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatementsTable()

    def on_mount(self) -> None:
        table = self.query_one(StatementsTable)
        table.sorted_by_order("rows")
        table.show(STATEMENTS, slow_ms=500)


async def test_the_sort_column_is_shown_and_marked_at_80_columns() -> None:
    app = SortedApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(StatementsTable)
        # A wide column it is sorted by stands with the narrow ones, before the query text.
        assert table.shown_columns[:5] == ("mean", "calls", "total", "rows", "query")
        assert table.render_line(0).text.split()[:6] == ["MEAN", "CALLS", "TOTAL", "ROWS", "▼", "QUERY"]
        table.sorted_by_order("calls")
        await pilot.pause()
        assert table.shown_columns[:4] == ("mean", "calls", "total", "query")
        assert table.render_line(0).text.split()[:5] == ["MEAN", "CALLS", "▼", "TOTAL", "QUERY"]


class DetailApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(RowDetail("session 102", session_details(SESSIONS[1], SESSIONS)))


def test_session_detail_80x24(snap_compare) -> None:
    assert snap_compare(DetailApp(), terminal_size=(80, 24))


def test_session_detail_no_color_160x48(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(DetailApp(), terminal_size=(160, 48))
