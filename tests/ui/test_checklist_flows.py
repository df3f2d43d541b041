"""The checklist flows of issue 23 item 10 and item 7, in the TUI on a clock the test moves.

A stray Enter starts nothing (a confirmation, Cancel focused, says "cancelled"); a run is
abandoned with a reason; an incident run shows its severity and the time since it began and
not the other severities' steps; a recurring step comes back with its countdown; the
Checklists pane shows a run's state without `r`, and a live holder is not "(gone)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Label

from cockpit.checklists.journal import Journal
from cockpit.checklists.library import load_library
from cockpit.checklists.run import start_run
from cockpit.config import parse_config
from cockpit.state import StateStore
from screens.app import CockpitApp
from screens.checklist_run import ChecklistRunScreen
from screens.checklists_pane import ChecklistsPane
from screens.confirm import ConfirmScreen
from screens.prompt import PromptScreen
from tests.ui.conftest import screen_text, wait_until
from tests.ui.test_checklist_run_screen import START, Clock, config, incident_run, resumed
from widgets.keyed_table import KeyedTable


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Callable[..., CockpitApp]]:
    """Apps on the run screen tests' config (a weekly window) and a clock the test moves."""
    stores: list[StateStore] = []

    def make(clock: Clock) -> CockpitApp:
        store = StateStore(tmp_path / "state.sqlite3")
        stores.append(store)
        return CockpitApp(parse_config(config()), store=store, clock=clock)

    yield make
    for store in stores:
        store.close()


def cell(table: KeyedTable, row: str, column: str) -> str:
    return str(table.cell(row, column))


async def open_checklists(pilot, app: CockpitApp) -> KeyedTable:  # type: ignore[no-untyped-def]
    await pilot.press("6")
    listing = app.query_one("#checklist-list", KeyedTable)
    await wait_until(pilot, lambda: listing.row_count >= 11)
    listing.focus()
    listing.move_cursor_to(listing.row_index("incident-response"))
    return listing


async def test_a_stray_enter_starts_no_run(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on(Clock(START))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checklists(pilot, app)
        await pilot.press("enter")  # incident response: its severity first
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "P1"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        summary = str(confirm.query_one("#confirm-summary").render())
        assert (
            summary == "Start a run of 'Incident response (P0-P3)' (10 steps)?"
        )  # P1's: not the 3 other severities'
        assert app.focused is not None and app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # the stray one
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await wait_until(
            pilot, lambda: any(n.title == "cancelled: no run started" for n in app._notifications), 3
        )
        assert Journal.local(app.store).runs() == []


async def test_a_confirmed_start_then_abandoned_with_a_reason(app_on) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(START)
    app = app_on(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checklists(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "P1"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        app.screen.query_one("#confirm-run", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen)
        await wait_until(pilot, lambda: screen.query_one("#run-steps", KeyedTable).row_count > 0)
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # no reason: refused, the prompt stays
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "started by mistake"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.state.status == "abandoned", 5)
        status = screen.query_one("#run-status", Label)
        await wait_until(pilot, lambda: "abandoned (started by mistake)" in str(status.render()), 3)
        assert "; ended by you" in str(status.render())  # not "you hold this run": nobody does
        keys = {b.key for _, b, enabled, *_ in app.active_bindings.values() if enabled}
        assert not keys & {"d", "s", "f", "X", "F"}  # nothing more to record on an abandoned run
        await pilot.press("escape")
        runs = app.query_one("#checklist-runs", KeyedTable)
        await wait_until(
            pilot, lambda: runs.row_count == 1 and cell(runs, screen.run_id, "status") == "abandoned", 3
        )
    records = [(r.action, r.result) for r in app.store.audit_records()]
    assert ("checklist.abandon", "ok") in records


async def test_an_incident_run_shows_its_severity_and_time_and_only_its_steps(app_on) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(START)
    app = app_on(clock)
    incident_run(app, clock)  # P0, 40 minutes in: 2 of its 10 steps resolved
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await resumed(pilot, app)
        title = str(screen.query_one("#run-title", Label).render())
        assert title.startswith("Incident response (P0-P3)  P0  [2/10]  run ")
        status = screen.query_one("#run-status", Label)
        assert str(status.render()).startswith("started 40m 00s ago; running")
        table = screen.query_one("#run-steps", KeyedTable)
        assert table.row_count == 10 and not {"respond-p1", "respond-p2", "respond-p3"} & set(table.row_keys)
        clock.now += timedelta(minutes=5)
        await wait_until(pilot, lambda: str(status.render()).startswith("started 45m 00s ago"), 3)


async def test_a_recurring_step_comes_back_with_a_countdown(app_on) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(START)
    app = app_on(clock)
    incident_run(app, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await resumed(pilot, app)
        table = screen.query_one("#run-steps", KeyedTable)
        table.move_cursor_to(list(table.row_keys).index("status-page"))
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.state.steps["status-page"].rounds == 1, 5)
        await wait_until(pilot, lambda: cell(table, "status-page", "deadline") == "again in 15m 00s", 3)
        assert cell(table, "status-page", "status") == "done x1"
        assert "again in 15m 00s" in screen_text(app)  # not cut at 80 columns
        clock.now += timedelta(minutes=10)
        await wait_until(pilot, lambda: cell(table, "status-page", "deadline") == "again in 5m 00s", 3)
        clock.now += timedelta(minutes=6)
        await wait_until(pilot, lambda: cell(table, "status-page", "status") == "due again", 3)
        table.move_cursor_to(list(table.row_keys).index("status-page"))
        await pilot.press("d")  # the next round
        await wait_until(pilot, lambda: screen.state.steps["status-page"].rounds == 2, 5)
        await wait_until(pilot, lambda: cell(table, "status-page", "deadline") == "again in 15m 00s", 3)


async def test_the_runs_list_follows_a_run_without_r(app_on, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 23 item 7: after `F` the pane still said `running`, and its holder, alive, `(gone)`."""
    monkeypatch.setattr(Journal, "RENEW_EVERY_S", 0.2)
    clock = Clock(START)
    app = app_on(clock)
    journal = app.pane_env().checklist_journal()
    me = app.guard.actor.user
    checklist = load_library(app.config.settings).get("gdpr-data-request")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        run_id = start_run(journal, checklist, target="staging", operator="alice", params={})
        runs = app.query_one("#checklist-runs", KeyedTable)
        await wait_until(pilot, lambda: runs.row_count == 1, 3)  # a run another cockpit started
        assert (cell(runs, run_id, "status"), cell(runs, run_id, "holder")) == ("running", "alice")
        for _, step in checklist.steps:
            journal.append(run_id, "alice", "step_done", step.id, {"note": "x"})
        journal.finish(run_id, "alice", "done")
        await wait_until(pilot, lambda: cell(runs, run_id, "status") == "done", 3)

        # My own run, its screen left for the pane: I am still here, my process says so.
        mine = start_run(journal, checklist, target="staging", operator=me, params={})
        await wait_until(pilot, lambda: runs.row_count == 2, 3)
        runs.focus()
        runs.move_cursor_to(list(runs.row_keys).index(mine))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        await pilot.press("escape")
        with app.store.transaction() as db:  # as if a minute and more had passed without a word
            db.execute("UPDATE checklist_runs SET lease_until = 0 WHERE id = ?", (mine,))
        await wait_until(pilot, lambda: journal.run(mine).holder_active, 3)  # renewed, screen or not
        await pilot.pause(1.5)  # a poll of the pane or more
        assert cell(runs, mine, "holder") == me


def paint_after(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """A frame painted right after ChecklistsPane.``method`` fills a table, before the table's
    next Idle: what CPU load does, now and then, to a table filled from a worker or a poll."""
    fill = getattr(ChecklistsPane, method)

    def fill_then_paint(pane: ChecklistsPane, *args: object) -> None:
        fill(pane, *args)
        screen_text(pane.app)

    monkeypatch.setattr(ChecklistsPane, method, fill_then_paint)


async def test_checklists_drawn_whole_when_a_frame_comes_before_idle(app_on, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Not at the headers' widths, for good: `credentia  inci  6      Crede`."""
    paint_after(monkeypatch, "_show")
    app = app_on(Clock(START))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checklists(pilot, app)
        await pilot.pause()
        text = screen_text(app)
    assert " CHECKLIST               KIND        STEPS TITLE " in text
    assert " deployment-verification deployment  6     Deployment: pre and post" in text


async def test_a_new_run_drawn_whole_when_a_frame_comes_before_idle(app_on, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The runs table, on screen, refilled by a poll: its columns follow the longer holder."""
    paint_after(monkeypatch, "_show_runs")
    app = app_on(Clock(START))
    journal = app.pane_env().checklist_journal()
    checklist = load_library(app.config.settings).get("gdpr-data-request")
    start_run(journal, checklist, target="staging", operator="al", params={})
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checklists(pilot, app)
        runs = app.query_one("#checklist-runs", KeyedTable)
        await wait_until(pilot, lambda: runs.row_count == 1, 3)
        run_id = start_run(journal, checklist, target="staging", operator="alexandra", params={})
        await wait_until(pilot, lambda: runs.row_count == 2, 3)  # the next poll
        await pilot.pause()
        text = screen_text(app)
    assert f"{run_id} running alexandra GDPR data request" in text
