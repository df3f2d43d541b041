"""UI fixtures: apps built on injected config and store, a fixed clock, no blinking cursor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from cockpit.config import parse_config
from cockpit.state import StateStore
from screens.app import CockpitApp

# Monday 23 November 2026, noon UTC: the next weekly window is Sunday 02:00.
FIXED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same colours whatever terminal runs the tests: a 16-colour TERM (CI's may be plain
    `xterm`) switches the cockpit to the ANSI theme, and every snapshot would differ."""
    monkeypatch.setenv("COLORTERM", "truecolor")


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
protected = true

[[targets.prod.maintenance_windows]]
name = "now"
at = "2026-11-23T11:00:00+00:00"
duration = "2h"
"""


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., CockpitApp]]:
    stores: list[StateStore] = []

    def make(config_text: str = CONFIG, **options: object) -> CockpitApp:
        store = StateStore(tmp_path / f"state{len(stores)}.sqlite3")
        stores.append(store)
        return CockpitApp(parse_config(config_text), store=store, clock=lambda: FIXED_NOW, **options)  # type: ignore[arg-type]

    yield make
    for store in stores:
        store.close()


async def wait_until(pilot, condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)
        await pilot.pause()


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """The screen as drawn, one line per row, as a terminal would show it (dialogs included).

    Textual has no public "what is on screen" call; the compositor's strips are what it writes
    to the terminal (Textual is pinned, see pyproject.toml).
    """
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
