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
