"""Actions from the UI: confirmation, typed names for protected targets, read-only walk."""

from __future__ import annotations

import threading

from textual.widgets import Button, Input

from cockpit.guard import ActionContext, ActionRequest
from screens.confirm import ConfirmScreen

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


async def walk_every_binding(app, pilot) -> set[str]:  # type: ignore[no-untyped-def]
    """Press every binding the app and the focused pane offer, on every pane; the keys pressed."""
    main = app.screen
    panes = [b.key for b in app.BINDINGS if b.action.startswith("show_pane")]
    assert len(panes) == 6
    pressed: set[str] = set()
    for pane_key in panes:
        await pilot.press(pane_key, "tab")  # into the pane, so its own bindings are live
        pane = app.query_one("TabbedContent").active_pane
        bindings = {b.key for b in app.BINDINGS} | {b.key for _, b, *_ in app.active_bindings.values()}
        for widget in pane.walk_children():
            bindings |= {b.key for b in getattr(widget, "BINDINGS", []) if hasattr(b, "key")}
        keys = [one for key in sorted(bindings - {"q", "ctrl+q", "ctrl+c", *panes}) for one in key.split(",")]
        assert {"t", "r", "question_mark", "ctrl+x"} <= set(keys)
        for key in keys:
            await pilot.press(key)
            if app.screen is not main:  # a dialog opened: close it before the next key
                await pilot.press("escape")
            assert app.screen is main
        pressed |= set(keys)
        actions = [w for w in app.workers if w.group == "actions"]
        if actions:  # (an empty list would mean "every worker", and the pane's never end)
            await app.workers.wait_for_complete(actions)
    return pressed


async def test_read_only_walk_presses_every_binding_on_every_pane(make_app) -> None:
    """k9s leaked read-only twice: walk all bindings, not a sample, and prove nothing ran."""
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_every_binding(app, pilot)
    assert all(r.result == "refused" for r in app.store.audit_records())


async def test_read_only_walk_on_the_live_sandbox(sandbox, store) -> None:  # type: ignore[no-untyped-def]
    """The same walk with every pane configured and live, so pane bindings are covered too."""
    from cockpit.app import CockpitApp
    from cockpit.config import load_config

    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pressed = await walk_every_binding(app, pilot)
    assert "a" in pressed  # the health pane's own binding
    assert all(r.result == "refused" for r in store.audit_records())
