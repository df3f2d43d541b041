"""The app shell under Pilot: tabs, keys, header, help, target switch, quitting cleanly."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Static, TabbedContent

from screens.help import HelpScreen
from screens.target_picker import TargetPicker
from tests.ui.conftest import wait_until
from widgets.header import CockpitHeader
from widgets.not_configured import NotConfigured


def plain(renderable: object) -> str:
    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_six_tabs_and_keys_switch_them(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one(TabbedContent)
        assert [p.id for p in tabs.query("TabPane")] == [
            "health",
            "queries",
            "bloat",
            "backups",
            "secrets",
            "checklists",
        ]
        for key, pane in zip(
            "234561", ["queries", "bloat", "backups", "secrets", "checklists", "health"], strict=True
        ):
            await pilot.press(key)
            assert tabs.active == pane


async def test_unconfigured_panes_name_the_key_to_add(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        notices = {str(n.parent.id): n for n in app.query(NotConfigured)}
        assert set(notices) == {"health", "queries", "bloat", "backups", "secrets"}
        assert notices["backups"].config_key == "targets.staging.backups"
        await pilot.press("4")
        await pilot.pause()
        screen = plain(notices["backups"].content)
        assert "not configured: no backup store" in screen
        assert "add [targets.staging.backups] to the config file" in screen


async def test_header_shows_target_window_and_badges(make_app) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)):
        header = app.query_one(CockpitHeader)
        assert header.target == "staging" and header.read_only and not header.protected
        assert header.window == "next window weekly in 5d 14h"
        assert header.query_one("#read-only").display


async def test_switch_target_rebuilds_on_the_new_target(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, TargetPicker)
        await pilot.press("down", "enter")
        await pilot.pause()
        header = app.query_one(CockpitHeader)
        assert app.target_name == "prod" and header.target == "prod" and header.protected
        assert header.in_window and header.window == "in window now: 1h 00m left"
        assert app.guard.protected and app.guard.target == "prod"


async def test_help_and_quit(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_last_pane_is_remembered_for_the_next_session(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
    from cockpit.config import parse_config
    from screens.app import CockpitApp
    from tests.ui.conftest import CONFIG

    again = CockpitApp(parse_config(CONFIG), store=app.store)
    async with again.run_test(size=(80, 24)):
        assert again.query_one(TabbedContent).active == "backups"


async def test_command_palette_offers_panes_and_targets(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Pane: Bloat" in titles and "Target: prod" in titles and "Help" in titles


async def test_no_color_is_honoured_and_severities_stay_words(make_app, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)):
        assert app.no_color
    from cockpit.model import Severity
    from widgets.findings_table import severity_text

    assert [severity_text(s).plain for s in Severity] == ["OK", "WARN", "CRIT", "UNKNOWN"]


async def test_a_16_colour_terminal_gets_the_terminals_own_colours(make_app, monkeypatch) -> None:
    """TERM=xterm (16 colours): the ANSI theme, not theme shades downsampled to a grey patchwork;
    a 256-colour terminal keeps the default theme."""
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.console.color_system == "standard"
        assert app.theme == "ansi-dark"
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "queries"
    monkeypatch.setenv("TERM", "xterm-256color")
    app = make_app()
    async with app.run_test(size=(80, 24)):
        assert app.theme != "ansi-dark"


async def test_tiny_terminal_degrades_without_crashing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press("2", "t", "escape", "question_mark", "escape", "3")
        assert app.query_one(TabbedContent).active == "bloat"


async def test_a_pane_can_offer_palette_commands(make_app) -> None:
    from textual.widgets import Static

    class Offering(Static):
        def palette_commands(self):  # type: ignore[no-untyped-def]
            yield ("Bloat: VACUUM ANALYZE all", "Run VACUUM ANALYZE on every table", lambda: None)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.query_one("TabPane#health").mount(Offering("x"))
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Bloat: VACUUM ANALYZE all" in titles


async def test_a_digit_takes_the_keys_into_the_pane_and_the_app_stays_idle(sandbox, store) -> None:
    """A pane's digit takes the keys into it: its bindings work at once, the key bar lists them.
    Focusing a pane's widget from a TabActivated handler once made two tabs ping-pong forever (a
    full core); never again."""
    import asyncio

    from cockpit.config import load_config
    from screens.app import CockpitApp

    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await asyncio.sleep(0.5)
        focused = app.focused
        assert focused is not None and app.query_one("TabPane#queries") in focused.ancestors
        assert any(b.binding.action == "next_view" for b in app.active_bindings.values())
        changes: list[object] = []
        app.screen.bindings_updated_signal.subscribe(focused, changes.append)
        await asyncio.sleep(1.0)
        assert len(changes) <= 1


async def test_a_running_action_shows_its_progress_above_the_keys(make_app) -> None:
    import threading

    from cockpit.guard import ActionRequest
    from widgets.action_status import ActionStatus
    from widgets.footer import KeyBar

    release = threading.Event()

    def slow(context) -> None:  # type: ignore[no-untyped-def]
        context.progress("halfway there", 0.5)
        release.wait(10)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        animating = [w for w in app.query("*") if w.auto_refresh]
        app.start_action(ActionRequest(action="test.slow", summary="slow thing", mutating=False), slow)
        status = app.query_one(ActionStatus)
        try:
            # A loaded machine (the suite runs in parallel) may take a while to show it.
            await wait_until(
                pilot, lambda: "halfway there" in plain(status.query_one("#action-label").render())
            )
            keys = app.query_one(KeyBar).region
            assert status.region.height == 1 and status.region.bottom <= keys.y  # not under the keys
            assert "halfway there (ctrl+x cancels)" in plain(status.query_one("#action-label").render())
        finally:
            release.set()
        await wait_until(pilot, lambda: not status.has_class("-running"))
        # Nothing animates at idle: a hidden indeterminate bar ticked 15 times a second.
        assert animating == [] and [w for w in app.query("*") if w.auto_refresh] == []


async def test_enter_shows_a_whole_row_the_narrow_terminal_cut(sandbox, store) -> None:
    """At 80x24 the endpoint table drops P50 and REASON; enter on the row shows them whole."""
    from cockpit.config import load_config
    from screens.app import CockpitApp
    from screens.row_detail import RowDetail
    from widgets.health_tables import EndpointTable

    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        table = app.query_one(EndpointTable)
        await wait_until(pilot, lambda: "failing" in set(table.row_keys))
        reason = "unexpected status 503 (expected 200)"
        assert not any(reason in table.render_line(y).text for y in range(table.size.height))  # cut
        table.move_cursor_to(table.row_index("failing"))
        assert app.focused is table
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RowDetail))
        text = plain(app.screen.query_one("#row-detail-cells", Static).content)
        assert "ENDPOINT  failing" in text and "REASON" in text
        assert "unexpected status 503 (expected 200)" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, RowDetail)


async def test_a_digit_right_at_start_is_not_undone(sandbox, store) -> None:
    """A digit typed the moment the cockpit opens (a resumed SSH session, a fast typist) lands
    between the start's focus into the first pane and that focus taking effect; the late focus
    switched TabbedContent back to the first pane, undoing the key (about 1 start in 8 in full
    runs and in tmux). Here the digit is sent at exactly that point."""
    from cockpit.config import load_config
    from screens.app import CockpitApp

    class DigitAtStart(CockpitApp):
        def focus_into_pane(self, pane: str | None = None) -> None:
            super().focus_into_pane(pane)
            if pane is None:  # the start's call (on_mount, after the first refresh)
                self.call_next(self.action_show_pane, "secrets")  # as the digit's key would

    app = DigitAtStart(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        secrets = app.query_one("#secrets")
        await wait_until(pilot, lambda: app.focused is not None and secrets in app.focused.ancestors)
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "secrets"


async def test_checklists_are_built_when_first_shown_unless_a_run_must_reopen(make_app) -> None:
    """The first frame pays only for the pane on screen and Health; Checklists is built at start
    only when you hold an unfinished run (tests/ui/test_checklist_run_screen.py reopens one)."""
    from screens.checklists_pane import ChecklistsPane
    from screens.deferred_pane import DeferredPane

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the start-up check for an unfinished run
        await pilot.pause()
        assert "checklists" in {d.pane_id for d in app.query(DeferredPane)}
        assert not app.query(ChecklistsPane)
        await pilot.press("6")
        await wait_until(pilot, lambda: bool(app.query(ChecklistsPane)))
        assert "checklists" not in {d.pane_id for d in app.query(DeferredPane)}
        # The keys are in the checklists (no runs yet: the runs table stays hidden, never focused).
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "checklist-list")


async def test_the_collector_held_off_for_the_start_is_back_on_after_the_first_frame(make_app) -> None:
    """`cockpit` starts with the garbage collector off (cli._run_tui: 30-36 ms of a 360 ms first
    frame were collections); left off, every reference cycle the app made would stay for good."""
    import gc

    from screens.app import tune_collector

    app = make_app()
    tune_collector(app)
    gc.disable()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
