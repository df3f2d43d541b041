"""Actions from the UI: confirmation, typed names for protected targets, read-only walk."""

from __future__ import annotations

import re
import threading

import pytest
from textual.widgets import Button, Input

from cockpit.errors import ActionRefused
from cockpit.guard import ActionContext, ActionRequest
from screens.confirm import ConfirmScreen
from screens.panes import PANES
from tests.ui.conftest import wait_until

VACUUM = ActionRequest("bloat.vacuum", "VACUUM (ANALYZE) public.audit_log", {"table": "public.audit_log"})


async def test_a_confirmed_action_runs_in_a_worker_and_is_audited(make_app) -> None:
    app = make_app()
    ran_in: list[str] = []

    def action(ctx: ActionContext) -> None:
        ran_in.append(threading.current_thread().name)
        ctx.progress("vacuuming", 0.5)
        ctx.result_detail = "done"

    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(VACUUM, action)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused is app.screen.query_one("#confirm-cancel", Button)
        await pilot.click("#confirm-run")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert ran_in and ran_in[0] != threading.main_thread().name
    record = app.store.audit_records()[0]
    assert (record.action, record.result, record.target) == ("bloat.vacuum", "ok", "staging")


async def test_cancel_in_the_dialog_runs_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(VACUUM, lambda ctx: None)
        await pilot.pause()
        await pilot.press("escape")
        await app.workers.wait_for_complete()
    assert app.store.audit_records() == []


async def test_protected_target_needs_the_name_typed(make_app) -> None:
    app = make_app(target="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        app.guard.arm("prod")
        app.start_action(VACUUM, lambda ctx: None)
        await pilot.pause()
        run = app.screen.query_one("#confirm-run", Button)
        assert run.disabled
        await pilot.press(*"prd")
        assert run.disabled
        app.screen.query_one(Input).value = ""
        await pilot.press(*"prod")
        assert not run.disabled
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.store.audit_records()[0].result == "ok"


def enabled_keys(app) -> set[str]:  # type: ignore[no-untyped-def]
    return {b.key for _, b, enabled, *_ in app.active_bindings.values() if enabled}


async def test_a_protected_target_is_read_only_until_armed_then_counts_down(make_app) -> None:
    app = make_app(target="prod")
    ran: list[int] = []
    async with app.run_test(size=(100, 24)) as pilot:
        header = app.query_one("#header")
        assert app.guard.read_only and header.has_class("-read-only") and "A" in enabled_keys(app)
        assert app.pane_env().probe_context.policy.read_only and app.pane_env().action_policy().read_only
        app.start_action(VACUUM, lambda ctx: ran.append(1))  # reached anyway: refused, no dialog
        await wait_until(pilot, lambda: len(app.store.audit_records()) == 1)
        assert not isinstance(app.screen, ConfirmScreen)

        await pilot.press("A")  # a wrong name arms nothing
        assert isinstance(app.screen, ConfirmScreen) and app.screen.verb == "Arm"
        app.screen.query_one(Input).value = "staging"
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)  # the Arm button stays off, enter does nothing
        await pilot.press("escape")
        assert app.guard.read_only

        await pilot.press("A", *"prod", "enter")
        await pilot.pause()
        assert not app.guard.read_only and not header.has_class("-read-only")
        assert header.has_class("-armed") and "WRITES ARMED 15m" in str(header.query_one("#armed").render())
        assert not app.pane_env().action_policy().read_only  # an action's session may write now
        assert app.pane_env().probe_context.policy.read_only  # the probes' never do
        app.guard.arming.until -= 14.5 * 60  # type: ignore[union-attr]  # 30 s left
        shown = lambda: str(header.query_one("#armed").render())  # noqa: E731
        await wait_until(pilot, lambda: re.fullmatch(r"WRITES ARMED (2\d|30)s", shown()) is not None, 3)
        app.guard.arming.until -= 31  # type: ignore[union-attr]  # the time is up
        await wait_until(pilot, lambda: header.has_class("-read-only"), 3)
        assert app.guard.read_only and not header.has_class("-armed")
        app.start_action(VACUUM, lambda ctx: ran.append(1))
        await wait_until(pilot, lambda: len(app.store.audit_records()) == 4)

        await pilot.press("A", *"prod", "enter", "A")  # armed again, then disarmed by hand
        await pilot.pause()
        assert app.guard.read_only
    assert ran == []
    records = [(r.action, r.result, r.detail) for r in reversed(app.store.audit_records())]
    assert records == [
        ("bloat.vacuum", "refused", "prod is protected: arm its writes first (A, then type its name)"),
        ("target.arm", "ok", "writes armed for 15 min"),
        ("target.disarm", "ok", "lapsed after 15 min"),
        ("bloat.vacuum", "refused", "prod is protected: arm its writes first (A, then type its name)"),
        ("target.arm", "ok", "writes armed for 15 min"),
        ("target.disarm", "ok", "disarmed by the operator"),
    ]


async def test_an_observer_cannot_arm_a_protected_target(make_app) -> None:
    app = make_app(target="prod", read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "A" not in enabled_keys(app)
        await pilot.press("A")
        assert not isinstance(app.screen, ConfirmScreen)
        with pytest.raises(ActionRefused, match="cannot be armed"):
            app.guard.arm("prod")
        assert app.guard.read_only
    assert [(r.action, r.result) for r in app.store.audit_records()] == [("target.arm", "refused")]


async def test_read_only_offers_nothing_and_the_guard_refuses(make_app) -> None:
    app = make_app(read_only=True)
    ran: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(VACUUM, lambda ctx: ran.append(1))
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert ran == []
    assert [r.result for r in app.store.audit_records()] == ["refused"]


SCREENS_SEEN: set[str] = set()  # every screen of ours a walk opened (the live walk checks them all)


async def press_and_come_back(app, pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``key`` on the main screen; walk the keys of any dialog of ours it opens; come back."""
    main = app.screen
    await pilot.press(key)
    if isinstance(app.focused, Input) and app.screen is main:  # a filter box took the keys
        await pilot.press("escape")
    dialog = app.screen
    SCREENS_SEEN.add(type(dialog).__name__)
    if dialog is not main and type(dialog).__module__.startswith("screens."):
        for binding in dialog.BINDINGS:
            for one in binding.key.split(","):
                if one not in ("escape", "q", "question_mark") and app.screen is dialog:
                    await pilot.press(one)
    for _ in range(3):
        if app.screen is main:
            break
        await pilot.press("escape")
    assert app.screen is main, f"{key} left {app.screen} open"


async def walk_every_binding(app, pilot) -> set[str]:  # type: ignore[no-untyped-def]
    """Press every binding the app and the focused pane offer, on every pane; the keys pressed."""
    panes = [b.key for b in app.BINDINGS if b.action.startswith("show_pane")]
    assert len(panes) == 6
    pressed: set[str] = set()
    for pane_key in panes:
        await pilot.press(pane_key)  # its digit takes the keys into the pane
        pane = app.query_one("TabbedContent").active_pane
        # A digit pressed with the focus inside the last pane switches too (it once did not).
        assert pane is not None and pane.id == next(p.id for p in PANES if p.key == pane_key)
        first = next((w for w in pane.walk_children() if w.focusable and w.display), None)
        if first is not None:  # where tab lands depends on the last pane's focus: the first one
            first.focus()
            await pilot.pause()
        bindings = {b.key for b in app.BINDINGS} | {b.key for _, b, *_ in app.active_bindings.values()}
        for widget in pane.walk_children():
            bindings |= {b.key for b in getattr(widget, "BINDINGS", []) if hasattr(b, "key")}
        # Quitting keys are never pressed, also inside another binding's list (an Input's
        # "ctrl+c,super+c" copy: ctrl+c quits the app wherever the focus is).
        quitting = {"q", "ctrl+q", "ctrl+c", *panes}
        keys = [one for key in sorted(bindings - quitting) for one in key.split(",") if one not in quitting]
        assert {"t", "r", "question_mark", "ctrl+x"} <= set(keys)
        for key in keys:
            await press_and_come_back(app, pilot, key)
        pressed |= set(keys)
        await wait_for_actions(app)
    return pressed


async def wait_for_actions(app) -> None:  # type: ignore[no-untyped-def]
    actions = [w for w in app.workers if w.group == "actions"]
    if actions:  # (an empty list would mean "every worker", and the pane's never end)
        await app.workers.wait_for_complete(actions)


async def test_read_only_walk_presses_every_binding_on_every_pane(make_app) -> None:
    """k9s leaked read-only twice: walk all bindings, not a sample, and prove nothing ran."""
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_every_binding(app, pilot)
    assert all(r.result == "refused" for r in app.store.audit_records())


async def test_read_only_walk_on_the_live_sandbox(sandbox, store) -> None:  # type: ignore[no-untyped-def]
    """The same walk with every pane configured and live, so pane bindings are covered too; then
    every Queries key in every view of that pane, with a session there to be (not) signalled."""
    import psycopg

    from cockpit.checklists.journal import Journal
    from cockpit.checklists.library import load_library
    from cockpit.checklists.run import start_run
    from cockpit.config import load_config
    from cockpit.probes.queries import DeltaMode
    from screens.app import CockpitApp
    from screens.queries_pane import VIEWS, QueriesPane
    from widgets.queries_tables import StatementsTable

    config = load_config(sandbox.config_path)
    journal = Journal.local(store)  # an operator's run in progress, for the observer to open
    checklist = load_library(config.settings).get("maintenance-window")
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={})
    events = journal.events(run_id)
    SCREENS_SEEN.clear()
    victim = psycopg.connect(sandbox.postgres.dsn(), application_name="walk-victim", autocommit=True)
    pid = victim.info.backend_pid
    sleeper = threading.Thread(target=lambda: _sleep(victim), daemon=True)
    sleeper.start()
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        statements_before = admin.execute("SELECT count(*) FROM pg_stat_statements").fetchone()[0]  # type: ignore[index]
    app = CockpitApp(config, store=store, read_only=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("6")  # the runs are listed, so the walk's tab lands on them
            await wait_until(pilot, lambda: app.query_one("#checklist-runs").row_count == 1)
            await pilot.press("1")
            pressed = await walk_every_binding(app, pilot)
            await pilot.press("2")
            pane = app.query_one(QueriesPane)
            while pane.view != VIEWS[0]:  # the walk above pressed v there too
                await pilot.press("v")
            keys = [
                one for b in QueriesPane.BINDINGS for one in b.key.split(",") if b.key not in ("v", "escape")
            ]
            for _ in VIEWS:
                for key in [*keys, "enter"]:  # enter opens a statement: its keys are walked too
                    if key == "enter" and pane.view == "statements":
                        # `d` above left a delta mode on: "since last refresh" can list nothing,
                        # and enter needs a statement to open.
                        while pane.delta is not DeltaMode.CUMULATIVE:
                            await pilot.press("d")
                        await wait_until(pilot, lambda: pane.query_one(StatementsTable).row_count > 0)
                    await press_and_come_back(app, pilot, key)
                await pilot.press("v")
            assert pane.view == VIEWS[0]
            await wait_for_actions(app)
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
            row = admin.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            statements_after = admin.execute("SELECT count(*) FROM pg_stat_statements").fetchone()[0]  # type: ignore[index]
    finally:
        victim.cancel_safe()
        # Closed only once its thread has left execute(): closing a libpq connection another
        # thread is using can segfault the process.
        sleeper.join(timeout=10)
        victim.close()
    assert "a" in pressed  # the health pane's own binding
    assert {"C", "X", "K", "c", "R"} <= set(keys)
    # Still the same query, still running: a cancel or terminate would have ended it. (It sleeps an
    # hour, ended by the finally above: under load the walk outlasted a 60 s sleep.)
    assert row == ("active", "SELECT pg_sleep(3600)")
    assert statements_after >= statements_before  # not reset
    assert all(r.result == "refused" for r in store.audit_records())
    assert journal.events(run_id) == events  # the run was opened and walked, and not touched
    assert (
        not our_screens()
        - SCREENS_SEEN
        - {
            "ConfirmScreen",  # never offered to an observer: the audit above has only refusals
            "PromptScreen",  # asks operators only (a run's parameters, a note, a skip's reason)
        }
    ), "a screen the walk never opened: teach the walk how to reach it"


def our_screens() -> set[str]:
    """Every Screen class in the screens package (a new one must be reached by the walk)."""
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import screens

    found = set()
    for module_info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"screens.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.add(cls.__name__)
    return found


def _sleep(conn) -> None:  # type: ignore[no-untyped-def]
    import contextlib

    import psycopg

    with contextlib.suppress(psycopg.Error):
        conn.execute("SELECT pg_sleep(3600)")
