"""The confirmation dialog cannot be misread: named buttons, a marked focus, the outcome said.

Issue 23 item 2: in the Backups pane, `b` then enter showed a bright "Run" while Cancel had the
focus; enter cancelled and nothing said so. Item 9: dialogs stayed 62 columns wide at 160 and
cut the archive's cutoff time ("...+00:0"); "exactly these 3:" stood over sentences.
"""

from __future__ import annotations

import pytest
from textual.widgets import Button

from cockpit.actions.maintenance import Relation, maintenance_request
from cockpit.actions.signals import request_for
from cockpit.config import Database
from cockpit.guard import ActionRequest
from screens.app import CockpitApp
from screens.confirm import ConfirmScreen
from tests.ui.conftest import screen_text
from tests.ui.test_queries_pane import SESSIONS

BACKUP = ActionRequest(
    "backup.run", "Back up app to s3-main", {"store": "s3-main"}, button="Back up to s3-main"
)
APP_DB = Database(name="app", dsn="postgresql:///app")
# The archive's confirmation as the demo shows it: its cutoff time was cut at 80 and at 160.
ARCHIVE = ActionRequest(
    "bloat.archive",
    "Archive 22,000 rows of public.audit_log older than 90d into public.audit_log_archive on app",
    details=(
        "22,000 rows with created_at before 2026-09-02T18:08+00:00 (oldest 2026-03-01)",
        "5 batches of up to 5,000 rows, each its own transaction",
        "a cancel or a crash keeps the batches done: run the archive again to continue",
    ),
    button="Archive 22,000 rows",
)


def label(app: CockpitApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Button).label)


def notices(app: CockpitApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_enter_keeps_and_says_so_the_focused_button_is_marked(make_app) -> None:
    app = make_app()
    ran: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(BACKUP, lambda ctx: ran.append(1))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        # Named by their effect; the focused one (the safe one) marked, the other plain.
        assert label(app, "#confirm-cancel").strip() == "▶ Cancel ◀"
        assert label(app, "#confirm-run").strip() == "Back up to s3-main"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "cancelled: nothing ran: Back up app to s3-main" in notices(app)
    assert ran == [] and app.store.audit_records() == []


async def test_tab_moves_the_mark_and_enter_runs_what_it_says(make_app) -> None:
    app = make_app()
    ran: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(BACKUP, lambda ctx: ran.append(1))
        await pilot.pause()
        await pilot.press("left")
        assert label(app, "#confirm-run").strip() == "▶ Back up to s3-main ◀"
        assert label(app, "#confirm-cancel").strip() == "Cancel"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any(n.startswith("cancelled") for n in notices(app))
    assert ran == [1] and app.store.audit_records()[0].result == "ok"


async def test_a_signal_names_its_pid_and_keeps_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(request_for("terminate", APP_DB, SESSIONS[:1]), lambda ctx: None)
        await pilot.pause()
        assert label(app, "#confirm-run").strip() == "Terminate 101"
        assert label(app, "#confirm-cancel").strip() == "▶ Keep it ◀"
        await pilot.press("escape")
        await pilot.pause()
        assert any(n.startswith("cancelled: nothing ran: Terminate 1 session") for n in notices(app))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_dialog_grows_with_the_terminal_and_cuts_nothing(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.start_action(ARCHIVE, lambda ctx: None)
        await pilot.pause()
        box = app.screen.query_one("#confirm-box")
        shown = screen_text(app)
        inside = [line.split("█")[1] for line in shown.splitlines() if line.count("█") >= 2]
        flat = " ".join(" ".join(line.split()) for line in inside)  # the box's lines, unwrapped
        assert "before 2026-09-02T18:08+00:00 (oldest 2026-03-01)" in flat
        assert "run the archive again to continue" in flat
        if size[0] == 160:
            assert box.outer_size.width > 80  # it was 64 at any width
            assert "before 2026-09-02T18:08+00:00 (oldest 2026-03-01)" in shown  # on one line
        else:
            assert box.outer_size.width <= 80
        # Facts about one change are a list, one bullet each, without "exactly these 3:".
        assert "exactly these" not in shown
        assert shown.count("• ") == 3


async def test_an_exact_set_is_said_as_one(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(request_for("cancel", APP_DB, SESSIONS), lambda ctx: None)
        await pilot.pause()
        text = screen_text(app)
        assert "exactly these 3 sessions:" in text
        assert label(app, "#confirm-run").strip() == "Cancel 3 queries"


def test_dialog_80x24(snap_compare, make_app) -> None:
    app = make_app()

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        app.start_action(ARCHIVE, lambda ctx: None)
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(80, 24))


def test_dialog_160x48(snap_compare, make_app) -> None:
    app = make_app()

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        app.start_action(request_for("terminate", APP_DB, SESSIONS), lambda ctx: None)
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(160, 48))


def test_dialog_no_color_80x24(snap_compare, make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under NO_COLOR the focus is still unmistakable: reverse video and the ▶ ◀ marks."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    request = maintenance_request("vacuum_full", Relation("public", "audit_log", size_bytes=10**9), APP_DB)

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        app.start_action(request, lambda ctx: None)
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_prompt_wraps_its_question(make_app, size) -> None:
    """The incident checklist's severity prompt was cut after P1 (issue 23 item 9)."""
    from screens.prompt import PromptScreen

    question = "severity (P0/P1/P2/P3): P0 outage/breach, P1 major feature broken, P2 degraded, P3 minor"
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.push_screen(PromptScreen(question))
        await pilot.pause()
        inside = [line.split("│")[1] for line in screen_text(app).splitlines() if line.count("│") >= 2]
        assert question in " ".join(" ".join(line.split()) for line in inside)


async def test_sixteen_colours_keep_the_buttons_plain_and_the_focus_reversed(make_app) -> None:
    """A 16-colour terminal gets Textual's ANSI theme, whose Button rules (some !important) drew
    both buttons as tall bordered blocks again: the look that was misread."""
    app = make_app()
    app.theme = "ansi-dark"  # what CockpitApp chooses for TERM=xterm
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(BACKUP, lambda ctx: None)
        await pilot.pause()
        run = app.screen.query_one("#confirm-run", Button)
        cancel = app.screen.query_one("#confirm-cancel", Button)
        for button in (run, cancel):
            assert button.region.height == 1
            assert all(edge[0] in ("", "none") for edge in button.styles.border)
        assert cancel.styles.text_style.reverse and not run.styles.text_style.reverse
