"""The Checklists pane and a run screen on the sandbox: start a run, a note, a skip with its
reason, all journaled; an observer's run screen follows the holder and offers none of its keys."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input

from cockpit.app import CockpitApp
from cockpit.config import load_config
from cockpit.journal import Journal
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from screens.checklist_run import ChecklistRunScreen
from screens.prompt import PromptScreen
from tests.ui.conftest import wait_until


async def test_a_run_from_the_pane_then_an_observer_follows(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("6")
        listing = app.query_one("#checklist-list", DataTable)
        await wait_until(pilot, lambda: listing.row_count >= 11)
        listing.focus()
        listing.move_cursor(row=listing.get_row_index("gdpr-data-request"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.holding
        await pilot.press("d")  # verify-identity needs a note
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "passport checked"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.state.steps["verify-identity"].status == "done", 10)
        screen.query_one("#run-steps", DataTable).move_cursor(row=1)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # an empty reason is refused: the prompt stays
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "logged by the support team"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.state.steps["log"].status == "skipped", 10)
        run_id = screen.run_id

    events = Journal.local(store).events(run_id)
    assert [(e.kind, e.step, e.operator) for e in events[1:]] == [
        ("step_done", "verify-identity", app.guard.actor.user),
        ("step_skipped", "log", app.guard.actor.user),
    ]
    assert events[2].detail == {"reason": "logged by the support team"}

    # An observer (read-only, another cockpit on the same state) follows the run live.
    observer_store = StateStore(path)
    observer = CockpitApp(load_config(sandbox.config_path), store=observer_store, read_only=True)
    async with observer.run_test(size=(80, 24)) as pilot:
        journal = Journal.local(observer_store)
        await observer.push_screen(ChecklistRunScreen(observer.pane_env(), journal, run_id, "someone-else"))
        run_screen = observer.screen
        assert isinstance(run_screen, ChecklistRunScreen) and not run_screen.holding
        keys = {b.key for _, b, enabled, *_ in observer.active_bindings.values() if enabled}
        assert not keys & {"d", "s", "f", "n", "a", "F", "T"}
        Journal.local(store).append(run_id, app.guard.actor.user, "step_done", "export", {"note": "sent"})
        await wait_until(pilot, lambda: run_screen.state.steps["export"].status == "done", 2)
        await pilot.press("d", "s", "T")
        assert len(Journal.local(store).events(run_id)) == len(events) + 1  # nothing more written
    observer_store.close()
    store.close()
