"""The base of every pane that reads while it is on screen: the polling loop, written once.

A pane says what one read is (``poll(read, cadence)``, as many loops as it has subjects); the
loop here reads only while the pane is on screen (a hidden pane costs the server nothing), at
the cadence's pace, and ``refresh_now`` (the `r` key, a view switch, a changed filter) ends every
loop's wait at once. Each loop is a worker of the pane, so it ends when the pane is removed (a
target switch) and a failed read never takes the app down (``exit_on_error=False``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.containers import Vertical
from textual.worker import Worker

from screens.cadence import Cadence
from screens.pane_env import PaneEnv


class PollingPane(Vertical):
    """A pane with polling loops; subclasses call ``poll`` (usually from ``on_mount``)."""

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env = env
        self._cadences: list[Cadence] = []
        self._loops: list[Worker[None]] = []

    def poll(self, read: Callable[[], Awaitable[None]], cadence: Cadence, *, description: str) -> None:
        """Run ``read`` at ``cadence`` while the pane is on screen, until the pane goes."""
        self._cadences.append(cadence)

        # Handed to the worker uncalled: no coroutine exists before it runs (an exit right after
        # the first frame would leave one never awaited, and Python warn at exit).
        async def loop() -> None:
            while True:
                if self.is_on_screen and cadence.due():
                    cadence.read()
                    await read()
                await cadence.tick()

        worker: Worker[None] = self.run_worker(
            loop, group="pane-poll", exit_on_error=False, description=description
        )
        self._loops.append(worker)

    def refresh_now(self) -> None:
        """Every loop reads at once (the `r` key)."""
        for cadence in self._cadences:
            cadence.now()
