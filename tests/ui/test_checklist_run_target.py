"""A run reopens only in a cockpit on its own target; opened on another, it offers none of its
checks or actions there and says whose run it is.

The issue: a run of ``sandbox-protected``, the cockpit quit and opened again with ``--target
sandbox``, reopened by itself, and ``a`` on its VACUUM step ran on ``sandbox``.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Label

from cockpit.checklists.library import load_library
from cockpit.checklists.run import start_run
from cockpit.config import load_config, parse_config
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from screens.app import CockpitApp
from screens.checklist_run import ChecklistRunScreen
from screens.confirm import ConfirmScreen
from tests.ui.conftest import wait_until
from widgets.keyed_table import KeyedTable
from widgets.secrets_tables import InventoryTable

CONFIG = """
[settings]
default_target = "staging"

[targets.staging]
description = "staging"

[[targets.staging.maintenance_windows]]
name = "weekly"
weekly = "sun 02:00"
duration = "2h"

[targets.prod]
description = "production"

[[targets.prod.maintenance_windows]]
name = "weekly"
weekly = "sun 02:00"
duration = "2h"
"""


def enabled_keys(app: CockpitApp) -> set[str]:
    return {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}


async def test_a_staging_run_does_not_reopen_on_prod_nor_act_there(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    config = parse_config(CONFIG)
    on_staging = CockpitApp(config, store=store)
    me = on_staging.guard.actor.user
    checklist = load_library(config.settings).get("maintenance-window")
    journal = on_staging.pane_env().checklist_journal()
    run_id = start_run(journal, checklist, target="staging", operator=me, params={})

    app = CockpitApp(config, target="prod", store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("6")
        runs = app.query_one("#checklist-runs", KeyedTable)
        await wait_until(pilot, lambda: runs.row_count == 1)
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ChecklistRunScreen)  # listed, not reopened
        assert not [n for n in app._notifications if "resuming" in n.message]

        runs.focus()
        await pilot.press("enter")  # opened by hand: to follow it, to tick its manual steps
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.run_id == run_id
        await wait_until(pilot, lambda: screen.query_one("#run-steps", KeyedTable).row_count > 0)
        assert screen.holding and screen.elsewhere
        status = str(screen.query_one("#run-status", Label).render())
        assert status.startswith("run of staging, not prod: no checks or actions here; ")
        table = screen.query_one("#run-steps", KeyedTable)
        table.move_cursor_to(table.row_index("backup"))  # an action step: a backup
        await pilot.pause()
        assert "a" not in enabled_keys(app) and "d" in enabled_keys(app)
        await pilot.press("a")
        await pilot.pause(0.5)
        assert isinstance(app.screen, ChecklistRunScreen)  # no confirmation came up
    assert store.audit_records() == []  # nothing ran, nothing was even refused on prod
    assert [e.kind for e in journal.events(run_id)] == ["run_started"]
    store.close()


async def test_on_its_own_target_the_run_reopens(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    config = parse_config(CONFIG)
    app = CockpitApp(config, target="staging", store=store)
    checklist = load_library(config.settings).get("maintenance-window")
    run_id = start_run(
        app.pane_env().checklist_journal(),
        checklist,
        target="staging",
        operator=app.guard.actor.user,
        params={},
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.run_id == run_id and not screen.elsewhere
        await wait_until(pilot, lambda: screen.query_one("#run-steps", KeyedTable).row_count > 0)
        assert "a" in enabled_keys(app)
    store.close()


async def test_rotate_reopens_the_rotation_of_this_target_only(sandbox: Sandbox, store: StateStore) -> None:
    """`R` in the Secrets pane reopens the rotation under way for the secret: on this target's runs,
    not on another target's rotation of a secret of the same name."""
    config = load_config(sandbox.config_path)
    app = CockpitApp(config, target="sandbox", store=store)
    checklist = load_library(config.settings).get("key-rotation")
    params = {"secret": "payments-api-key"}
    other = start_run(
        app.pane_env().checklist_journal(), checklist, target="sandbox-protected",
        operator=app.guard.actor.user, params=params,
    )  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "v")
        await wait_until(pilot, lambda: app.query_one(InventoryTable).row_count == 1)
        await pilot.press("R")  # not the other target's rotation: a new run, asked first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        app.screen.query_one("#confirm-run", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.run_id != other
        assert screen.state.info.target == "sandbox" and not screen.elsewhere
