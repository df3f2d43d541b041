"""When a pane reads next: every refresh, or at a slower cadence of its own; sooner when `r` asks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol


class Wakeup:
    """``wait`` sleeps up to ``seconds``; ``now`` (the `r` key) ends the current wait early."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def now(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: 3.11's wait_for loses a cancel that arrives as the event
        # is set (`r` at the moment the pane goes), and the pane's loop would run on.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()


class SlowCadence:
    """A read every ``interval()`` seconds (a setting, read each time), or now on `r`.

    For panes whose reads are costly and whose subject changes slowly (bloat estimates,
    certificates, backup listings): ``due`` says whether to read, ``read`` records that one was
    taken, ``now`` asks for one at once, ``tick`` waits a second (or until ``now``).
    """

    def __init__(self, interval: Callable[[], float]) -> None:
        self._interval = interval
        self._read_at: float | None = None
        self._forced = True
        self._wake = Wakeup()

    def due(self) -> bool:
        return self._forced or self._read_at is None or time.monotonic() - self._read_at >= self._interval()

    def read(self) -> None:
        """A read has started: the next is due an interval from now."""
        self._forced = False
        self._read_at = time.monotonic()

    def now(self) -> None:
        self._forced = True
        self._wake.now()

    def wake(self) -> None:
        """End the wait: the loop asks ``due`` again (a read only if the interval has passed)."""
        self._wake.now()

    async def tick(self) -> None:
        await self._wake.wait(1.0)


class EveryRefresh:
    """A read every refresh interval (``interval()``, read each time), or now on `r`: the cadence
    of the panes that follow the server live (queries, the Health pane's databases)."""

    def __init__(self, interval: Callable[[], float]) -> None:
        self._interval = interval
        self._wake = Wakeup()

    def due(self) -> bool:
        return True

    def read(self) -> None:
        return None

    def now(self) -> None:
        self._wake.now()

    def wake(self) -> None:
        self._wake.now()

    async def tick(self) -> None:
        await self._wake.wait(self._interval())


class Cadence(Protocol):
    """When a pane reads: ``due`` whether to now, ``read`` that one started, ``now`` the `r` key,
    ``wake`` the pane shown (look again now), ``tick`` the wait until it is asked again."""

    def due(self) -> bool: ...

    def read(self) -> None: ...

    def now(self) -> None: ...

    def wake(self) -> None: ...

    async def tick(self) -> None: ...
