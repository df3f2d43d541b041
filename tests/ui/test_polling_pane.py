"""The one polling loop every reading pane runs on: it reads only while its pane is on screen, at
its cadence, and `refresh_now` reads at once, whatever the interval."""

from __future__ import annotations

import time
from typing import cast

from textual.app import App, ComposeResult
from textual.widgets import Label, TabbedContent, TabPane

from screens.cadence import Cadence, EveryRefresh, SlowCadence
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from tests.ui.conftest import wait_until


class CountingPane(PollingPane):
    """Counts its reads; a refresh interval of an hour (unless given another cadence), so a read
    soon after the first is `r`'s or the showing's."""

    def __init__(self, cadence: Cadence | None = None) -> None:
        super().__init__(cast(PaneEnv, object()), id="counting")  # the loop never reads env
        self.reads: list[float] = []
        self.cadence = cadence or EveryRefresh(lambda: 3600.0)

    def on_mount(self) -> None:
        self.poll(self._read, self.cadence, description="Counting")

    async def _read(self) -> None:
        self.reads.append(time.monotonic())


class TwoTabs(App[None]):
    """The pane in the second tab, hidden until that tab is chosen."""

    def __init__(self, pane: CountingPane | None = None) -> None:
        super().__init__()
        self.pane = pane or CountingPane()

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="first"):
            with TabPane("first", id="first"):
                yield Label("the other pane")
            with TabPane("second", id="second"):
                yield self.pane


async def test_reads_only_on_screen_and_at_once_when_asked() -> None:
    app = TwoTabs()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CountingPane)
        await pilot.pause(0.5)
        assert pane.reads == []  # hidden: the loop waits without reading
        app.query_one(TabbedContent).active = "second"
        # Shown: the wait begun while hidden (an hour) ends, and the loop reads, unasked.
        await wait_until(pilot, lambda: len(pane.reads) == 1)
        pane.refresh_now()
        await wait_until(pilot, lambda: len(pane.reads) == 2)
        app.query_one(TabbedContent).active = "first"
        await pilot.pause()
        pane.refresh_now()
        await pilot.pause(0.5)
        assert len(pane.reads) == 2  # hidden again: `r` wakes the loop, which does not read
        app.query_one(TabbedContent).active = "second"
        await wait_until(pilot, lambda: len(pane.reads) == 3)  # shown again: read at once


async def test_a_slow_pane_reads_when_first_shown_and_not_again_on_each_showing() -> None:
    app = TwoTabs(CountingPane(SlowCadence(lambda: 3600.0)))  # an hour: showing is not due
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CountingPane)
        tabs = app.query_one(TabbedContent)
        tabs.active = "second"
        await wait_until(pilot, lambda: len(pane.reads) == 1)
        for shown in ("first", "second", "first", "second"):
            tabs.active = shown
            await pilot.pause(0.2)
        assert len(pane.reads) == 1  # not due for an hour
        pane.refresh_now()  # `r` is
        await wait_until(pilot, lambda: len(pane.reads) == 2)


class FailingOncePane(CountingPane):
    """Its first read raises, as a bug would; the ones after succeed."""

    async def _read(self) -> None:
        self.reads.append(time.monotonic())
        if len(self.reads) == 1:
            raise KeyError("a fault put there by the test")


class OneTab(App[None]):
    def compose(self) -> ComposeResult:
        yield FailingOncePane()


async def test_a_read_that_raises_is_said_once_and_the_loop_goes_on() -> None:
    app = OneTab()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(FailingOncePane)
        await pilot.pause()
        pane.refresh_now()
        await wait_until(pilot, lambda: len(pane.reads) == 1)
        await wait_until(pilot, lambda: bool(app._notifications))
        (toast,) = list(app._notifications)
        assert (
            toast.message == "Counting: KeyError: 'a fault put there by the test' (retrying at every refresh)"
        )
        pane.refresh_now()
        await wait_until(pilot, lambda: len(pane.reads) == 2)  # the loop survived the fault
