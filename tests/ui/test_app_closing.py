"""The app's own timers and workers may end while the app closes: that is never a crash.

Under load, an action that ended as a test's app was closing crashed it in
``CockpitApp._worker_changed`` (``NoMatches: No nodes match 'ActionStatus'``): the app's screens
are torn down while its message loop still runs (Pilot's shutdown does that), and the handler
looked for the action line there.
"""

from __future__ import annotations

import asyncio
import threading

from cockpit.guard import ActionContext, ActionRequest

SLOW = ActionRequest(action="test.slow", summary="slow thing", mutating=False)


async def test_an_action_ending_as_the_app_closes_is_no_crash(make_app) -> None:
    """The action's end is queued while the app's loop is busy and the app starts closing: its
    outcome is handled once the screens are gone (the order Pilot's shutdown gave under load)."""
    app = make_app()
    go = threading.Event()

    def action(context: ActionContext) -> None:
        go.wait(10)

    async def busy() -> None:  # the app's loop, held while the action ends and the app closes
        go.set()
        await asyncio.sleep(0.5)

    async with app.run_test(size=(80, 24)) as pilot:
        app.start_action(SLOW, action)
        await pilot.pause()
        app.call_later(busy)
    assert app.return_code in (None, 0)  # never exited with an error


async def test_the_headers_tick_as_the_app_closes_is_no_crash(make_app) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.set_interval(0.001, app._update_header)  # the 10 s tick, due as the app closes
    assert app.return_code in (None, 0)  # never exited with an error
