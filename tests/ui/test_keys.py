"""Keys: each lands where it was typed, means one thing across the app, and quits like elsewhere."""

from __future__ import annotations

from textual import events
from textual.widgets import TabbedContent

from tests.ui.conftest import CONFIG, wait_until

WITH_INVENTORY = (
    CONFIG
    + """
[[targets.staging.secrets]]
name = "payments-api-key"
lives_in = "payment provider"
rotated_at = "2026-08-23"
policy_days = 90
"""
)


async def test_a_key_typed_right_after_the_digit_lands_in_the_pane_being_built(make_app) -> None:
    """`5` then `v` at once (a paste, a fast typist, a loaded machine): the Secrets pane is built
    when first shown, and `v` reached the app before it was, and was lost (`R`, offered only in
    the inventory view, then never appeared: test_rotate_starts_the_key_rotation_checklist_...)."""
    app = make_app(WITH_INVENTORY)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.post_message(events.Key("5", "5"))
        app.post_message(events.Key("v", "v"))  # queued behind the digit, before the pane exists
        tabs = app.query_one(TabbedContent)
        await wait_until(pilot, lambda: tabs.active == "secrets" and bool(app.query("SecretsPane")))
        await pilot.pause()
        pane = app.query_one("SecretsPane")
        assert pane.view == "inventory"  # type: ignore[attr-defined]


def test_no_pane_takes_a_key_the_whole_app_uses() -> None:
    """One meaning per key: `A` was ANALYZE in the Bloat pane and arm/disarm everywhere else, so
    a protected target could not be disarmed from Bloat (the pane's binding wins there)."""
    from screens.app import CockpitApp
    from screens.backups_pane import BackupsPane
    from screens.bloat_pane import BloatPane
    from screens.checklists_pane import ChecklistsPane
    from screens.health_pane import HealthPane
    from screens.queries_pane import QueriesPane
    from screens.secrets_pane import SecretsPane

    def keys(bindings: list) -> set[str]:  # type: ignore[type-arg]
        return {key for b in bindings for key in b.key.split(",")}

    app_keys = keys(CockpitApp.BINDINGS)
    assert {"A", "q", "ctrl+c", "t", "r"} <= app_keys
    for pane in (HealthPane, QueriesPane, BloatPane, BackupsPane, SecretsPane, ChecklistsPane):
        taken = keys(pane.BINDINGS) & app_keys
        if pane is ChecklistsPane:
            taken -= {"r"}  # its `r` reloads the pane: what `r` does everywhere
        assert not taken, f"{pane.__name__} takes {taken}"
    assert "Z" in keys(BloatPane.BINDINGS)  # ANALYZE's own key


async def test_ctrl_c_quits_like_q(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "ctrl+c")
        await wait_until(pilot, lambda: not app.is_running, timeout=10)
    assert app.return_code == 0


async def test_help_starts_with_the_panes_own_keys_then_the_apps(sandbox, store) -> None:
    from cockpit.config import load_config
    from screens.app import CockpitApp
    from screens.help import HelpScreen

    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(app.query("BloatPane")))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.text  # type: ignore[attr-defined]
        assert text.startswith("# Bloat pane (3)")
        pane, everywhere = text.split("# Everywhere")
        assert "| `Z` | ANALYZE |" in pane and "| `V` | VACUUM |" in pane and "schema:NAME" in pane
        assert "| `A` |" not in pane and "`A`" in everywhere and "`q`, `ctrl+c`" in everywhere
        await pilot.press("escape", "2", "question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.text  # type: ignore[attr-defined]
        assert text.startswith("# Queries pane (2)") and "user:NAME" in text.split("# Everywhere")[0]


async def test_an_observers_help_lists_no_action_key(sandbox, store) -> None:
    from cockpit.config import load_config
    from screens.app import CockpitApp
    from screens.help import HelpScreen

    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(app.query("BloatPane")))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        pane = app.screen.text.split("# Everywhere")[0]  # type: ignore[attr-defined]
        assert "| `v` |" in pane and "`Z`" not in pane and "`V`" not in pane


async def test_quitting_says_what_it_stops_before_the_screen_goes(make_app) -> None:
    from textual.widgets import Label

    from widgets.action_status import ActionStatus

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.action_quit()  # what `q` and ctrl+c run
        status = app.query_one(ActionStatus)
        line = str(status.query_one("#action-label", Label).render())
        assert (
            status.display and "quitting: ending the panes' workers, closing their database sessions" in line
        )
        await wait_until(pilot, lambda: not app.is_running, timeout=10)
    assert app.return_code == 0
