"""The Checklists pane and a run screen on the sandbox: start a run, a note, a skip with its
reason, all journaled; an observer's run screen follows the holder and offers none of its keys."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from textual.widgets import Button, Input

from cockpit.checklists.journal import Journal
from cockpit.checklists.library import load_library
from cockpit.checklists.run import start_run
from cockpit.config import load_config
from cockpit.errors import CockpitError
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from screens.app import CockpitApp
from screens.checklist_run import ChecklistRunScreen
from screens.confirm import ConfirmScreen
from screens.prompt import PromptScreen
from tests.ui.conftest import wait_until
from widgets.keyed_table import KeyedTable


async def test_a_run_from_the_pane_then_an_observer_follows(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("6")
        listing = app.query_one("#checklist-list", KeyedTable)
        await wait_until(pilot, lambda: listing.row_count >= 11)
        listing.focus()
        listing.move_cursor_to(listing.row_index("gdpr-data-request"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # never at once
        app.screen.query_one("#confirm-run", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.holding
        await pilot.press("d")  # verify-identity needs a note
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "passport checked"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.state.steps["verify-identity"].status == "done", 10)
        screen.query_one("#run-steps", KeyedTable).move_cursor_to(1)
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


@pytest.fixture
def shared_journal_url(sandbox: Sandbox) -> Iterator[str]:
    """A database of its own on the sandbox's server, as `[state] url` for several cockpits."""
    name = f"journal_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield sandbox.postgres.dsn(name)
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


async def test_an_observer_on_another_host_follows_through_the_shared_journal(
    sandbox: Sandbox, shared_journal_url: str, tmp_path: Path
) -> None:
    """The holder is a cockpit elsewhere (its journal handle here); the observer is this TUI, with
    its own state store, sharing nothing with the holder but `[state] url`."""
    config_path = tmp_path / "cockpit.toml"
    config_path.write_text(
        sandbox.config_path.read_text() + f'\n[state]\nurl = "{shared_journal_url}"\n', encoding="utf-8"
    )
    config = load_config(config_path)
    observer_store = StateStore(tmp_path / "observer.sqlite3")
    observer = CockpitApp(config, store=observer_store, read_only=True)
    with pytest.raises(CockpitError, match="no checklist journal there yet"):
        observer.pane_env().checklist_journal()  # an observer's read-only session creates nothing

    holder = Journal.shared(shared_journal_url)
    checklist = load_library(config.settings).get("gdpr-data-request")
    run_id = start_run(holder, checklist, target="sandbox", operator="alice", params={})
    async with observer.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        runs = observer.query_one("#checklist-runs", KeyedTable)
        await wait_until(pilot, lambda: runs.row_count == 1)
        assert str(runs.cell(run_id, "holder")) == "alice"
        runs.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(observer.screen, ChecklistRunScreen))
        screen = observer.screen
        assert isinstance(screen, ChecklistRunScreen) and not screen.holding
        journal = observer.pane_env().checklist_journal()
        assert journal._db.query("SHOW default_transaction_read_only") == [("on",)]
        holder.append(run_id, "alice", "step_done", "verify-identity", {"note": "passport checked"})
        started = time.monotonic()
        await wait_until(pilot, lambda: screen.state.steps["verify-identity"].status == "done", 3)
        assert time.monotonic() - started < 1.5  # "within about a second"
        await pilot.press("d", "T")
        await pilot.pause()
    assert [e.kind for e in holder.events(run_id)] == ["run_started", "step_done"]
    holder.close()
    observer_store.close()
