"""The `/` filter of the Queries and Bloat panes, on the real sandbox (issue 23 item 3).

Queries, `/`, `min:100ms`, enter showed two border lines and no text row at 80x24 (the focused
Input's border won over ``height: 1``), `min:100ms` was refused (no ms unit), and the summary
still said "197 of the top 197". Now the box is one visible row, the rows follow as you type,
the summary names the filter, and esc clears it.
"""

from __future__ import annotations

from textual.widgets import Input, Label

from cockpit.config import load_config
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from screens.bloat_pane import BloatPane
from screens.queries_pane import QueriesPane
from tests.ui.conftest import screen_text, wait_until
from widgets.bloat_tables import TablesTable
from widgets.filter_box import FilterBox
from widgets.queries_tables import StatementsTable


async def test_queries_filter_is_visible_applies_as_typed_and_esc_clears(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.query_one(QueriesPane)
        table = app.query_one(StatementsTable)
        status = app.query_one("#queries-status", Label)
        # The workload's pg_sleep(0.6) is over 100 ms; most statements are far under it.
        await wait_until(pilot, lambda: any(s.mean_ms >= 100 for s in pane.statements), timeout=30)
        await wait_until(pilot, lambda: any(s.mean_ms < 100 for s in pane.statements), timeout=30)
        await pilot.press("slash", *"min:100ms")  # no enter: the rows follow the typing
        await pilot.pause()
        box = app.query_one(FilterBox)
        assert box.region.height == 1 and app.query_one(FilterBox).query_one(Input).region.height == 1
        assert "/ filter: min:100ms" in screen_text(app)  # the text typed is on screen
        shown = set(table.row_keys)
        assert shown and all(s.mean_ms >= 100 for s in pane.statements if s.key in shown)
        total = len(pane.statements)
        assert f"{len(shown)} of {total} match min:100ms" in str(status.render())
        await pilot.press("enter")
        await pilot.pause()
        assert not box.is_open and "match min:100ms" in str(status.render())
        await pilot.press("escape")  # from the table: the filter goes
        await wait_until(pilot, lambda: table.row_count == len(pane.statements))
        assert "match" not in str(status.render()) and not pane.filter.active

        await pilot.press("slash", *"min:1")  # not a duration yet: said beside, nothing lost
        await pilot.pause()
        assert "min: expected a duration like 30s, 15m, 24h, 7d or 1h30m, got '1'" in screen_text(app)
        assert not any("min:" in n.message for n in app._notifications)  # no toast per keystroke
        await pilot.press("escape")  # from the box: cleared and closed
        await pilot.pause()
        assert not box.is_open and not pane.filter.active


async def test_bloat_filter_applies_as_typed_and_esc_clears(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        pane = app.query_one(BloatPane)
        tables = app.query_one(TablesTable)
        await wait_until(pilot, lambda: "public.audit_log" in set(tables.row_keys), timeout=30)
        everything = tables.row_count
        assert everything > 2
        await pilot.press("slash", *"audit")
        await pilot.pause()
        assert "/ filter: audit" in screen_text(app)
        kept = set(tables.row_keys)
        assert kept and all("audit" in key for key in kept if key)
        status = str(app.query_one("#bloat-status", Label).render())
        assert f"{len(kept)} of" in status and "match audit" in status
        await pilot.press("escape")
        await wait_until(pilot, lambda: tables.row_count == everything)
        assert not pane.filter.active
