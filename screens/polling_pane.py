"""The base of every pane that reads while it is on screen: the polling loop, written once.

A pane says what one read is (``poll(read, cadence)``, as many loops as it has subjects); the
loop here reads only while the pane is on screen (a hidden pane costs the server nothing), at
the cadence's pace, and ``refresh_now`` (the `r` key, a view switch, a changed filter) ends every
loop's wait at once; the pane shown ends it too (a live pane reads as it appears). Each loop is
a worker of the pane, so it ends when the pane is removed (a target switch); a read that raises
is said in a toast and the loop reads again at its next turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.containers import Vertical
from textual.worker import Worker

from cockpit.redact import redact
from screens.cadence import Cadence
from screens.pane_env import PaneEnv


class PollingPane(Vertical):
    """A pane with polling loops; subclasses call ``poll`` (usually from ``on_mount``)."""

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env = env
        self._cadences: list[Cadence] = []
        self._loops: list[Worker[None]] = []
        self._failures: set[str] = set()  # the loops whose last read raised

    def poll(self, read: Callable[[], Awaitable[None]], cadence: Cadence, *, description: str) -> None:
        """Run ``read`` at ``cadence`` while the pane is on screen, until the pane goes."""
        self._cadences.append(cadence)

        # Handed to the worker uncalled: no coroutine exists before it runs (an exit right after
        # the first frame would leave one never awaited, and Python warn at exit).
        async def loop() -> None:
            while True:
                if self.is_on_screen and cadence.due():
                    cadence.read()
                    try:
                        await read()
                    except Exception as exc:  # the loop outlives any one read
                        self._read_failed(description, exc)
                    else:
                        self._failures.discard(description)
                await cadence.tick()

        worker: Worker[None] = self.run_worker(
            loop, group="pane-poll", exit_on_error=False, description=description
        )
        self._loops.append(worker)

    def _read_failed(self, description: str, error: Exception) -> None:
        """A read that raised (a bug, or a failure its pane does not catch) is said once, and the
        loop goes on: a pane that stopped reading would show rows that look current and are not."""
        if description in self._failures:
            return  # said already; said again once a read has succeeded in between
        self._failures.add(description)
        line = redact(f"{description}: {type(error).__name__}: {error}".splitlines()[0])
        self.notify(f"{line} (retrying at every refresh)", title="Read failed", severity="error", timeout=15)

    def on_show(self) -> None:
        """Shown (first built, or its tab chosen again): each loop looks at once, not at the end
        of a wait it began while hidden (a whole refresh interval, or a slow cadence's second).
        A slow cadence still reads only when due: showing a pane again is not `r`."""
        for cadence in self._cadences:
            cadence.wake()

    def refresh_now(self) -> None:
        """Every loop reads at once (the `r` key)."""
        for cadence in self._cadences:
            cadence.now()
