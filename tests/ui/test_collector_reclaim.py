"""The app's side of cockpit.collector: what the freezes kept is reclaimed only in a quiet moment
(no key for QUIET_FOR_S), never right after a key, when the operator may be waiting on the next."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest

from cockpit import collector
from cockpit.collector import QUIET_FOR_S, RECLAIM_EVERY_S, CollectorPolicy
from screens.app import CockpitApp


async def test_a_reclaim_waits_for_a_quiet_moment(
    make_app: Callable[..., CockpitApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = CollectorPolicy()
    policy.enable()
    monkeypatch.setattr(collector, "POLICY", policy)
    app = make_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            with policy.taking_in():
                pass
            policy.reclaimed_at -= RECLAIM_EVERY_S
            before = app.last_input
            await pilot.press("right")
            assert app.last_input > before, "a key press is not seen as input"
            app.reclaim_when_quiet()
            assert policy.pending == 1, "reclaimed right after a key"
            app.last_input -= QUIET_FOR_S
            app.reclaim_when_quiet()
            assert policy.pending == 0, "not reclaimed in a quiet moment"
    finally:
        gc.unfreeze()
