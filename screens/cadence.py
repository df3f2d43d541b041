"""The wait between two polls of a pane: the refresh interval, or less when `r` asks for now."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """``wait`` sleeps up to ``seconds``; ``now`` (the `r` key) ends the current wait early."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def now(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()
