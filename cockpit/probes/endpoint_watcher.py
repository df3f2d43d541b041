"""HTTP endpoints watched without end, each at its own interval, on an event loop of its own.

The Health pane's endpoints are probed here, in a thread the caller gives (``run`` blocks): 200
endpoints' worth of request handling never competes with keystrokes on the UI's loop, and a
slow or hanging endpoint never delays the others (each has its own task). Every sample goes to
``on_sample`` as it arrives, on the watcher's thread.

Stopping must never depend on a cancel arriving: Python 3.11's ``asyncio.wait_for`` returns a
request's result when it ends just as it is cancelled, losing the cancel, and one endpoint loop
left running would hold this thread (and with it the process's exit) forever. So every loop also
watches a stop event, ``stop`` sets it from any thread, and ``keep_going`` is asked every
second as the fallback for an owner that goes without calling ``stop`` (an exit cut short by a
signal).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence

from cockpit.config import HealthEndpoint
from cockpit.probes.http import HttpProber
from cockpit.probes.rolling import Sample

# How often ``keep_going`` is asked when nobody calls ``stop``: once a second rather than five
# times, wakeups that only cost CPU at idle.
CHECK_EVERY_S = 1.0
STOP_WAIT_S = 5.0  # the endpoint loops' time to end once stopped; after it, they are left


class EndpointWatcher:
    """Probes ``endpoints`` until stopped; ``concurrency`` bounds requests in flight."""

    def __init__(
        self,
        endpoints: Sequence[HealthEndpoint],
        concurrency: int,
        on_sample: Callable[[HealthEndpoint, Sample], None],
    ) -> None:
        self.endpoints = list(endpoints)
        self._concurrency = concurrency
        self._on_sample = on_sample
        self._stopped = threading.Event()
        self._wake: Callable[[], object] | None = None  # ends run's wait at once, from any thread

    def run(self, keep_going: Callable[[], bool]) -> None:
        """Probe until ``stop`` is called or ``keep_going`` says no (blocks the calling thread)."""
        asyncio.run(self._watch(keep_going))

    def stop(self) -> None:
        """Thread-safe; ``run`` returns soon after (at once when its loop is waiting)."""
        self._stopped.set()
        if self._wake is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed
                self._wake()

    async def _watch(self, keep_going: Callable[[], bool]) -> None:
        prober = HttpProber(self._concurrency)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(self._endpoint_loop(prober, e, stop)) for e in self.endpoints]
        try:
            loop = asyncio.get_running_loop()
            self._wake = lambda: loop.call_soon_threadsafe(stop.set)
            while keep_going() and not self._stopped.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(CHECK_EVERY_S):
                        await stop.wait()
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=STOP_WAIT_S)
            await prober.aclose()

    async def _endpoint_loop(self, prober: HttpProber, endpoint: HealthEndpoint, stop: asyncio.Event) -> None:
        """One endpoint at its own interval, until the watcher stops."""
        while not stop.is_set():
            sample = await prober.probe(endpoint)
            self._on_sample(endpoint, sample)
            await asyncio.sleep(endpoint.interval_s)
