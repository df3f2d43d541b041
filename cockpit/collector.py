"""The cyclic garbage collector's policy for a process that runs the cockpit.

Why: CPython 3.11 runs a full collection, a walk over every tracked object the process holds,
whenever the objects promoted to its oldest generation since the last one outnumber a quarter of
those it kept. A pane taking in a large reading (the Bloat pane's 30,000 relations: about 150,000
objects that live until the next reading) meets that condition nearly every time, and a key
pressed during the walk waits for it: 40-220 ms (bench/README.md, "Bloat: a reading taken in").

The rule: a large reading is taken in inside ``taking_in``. No collection runs meanwhile; when
the last such block ends, every object alive is moved out of the collector's sight
(``gc.freeze``). Reference counting frees them as before when the next reading replaces them;
the collector never walks them. What a freeze keeps for good is garbage held in reference cycles
at that moment, so ``reclaim`` (everything back in sight, one full collection) is for a quiet
moment: the app calls it when no key has come for a while (screens/app.py).

Nothing here runs unless the process enabled it (``enable``): a library caller or a test run
keeps Python's own policy.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

RECLAIM_EVERY_S = 600.0  # at most one walk of the whole heap per ten minutes
QUIET_FOR_S = 10.0  # and only once no key has come for this long


class CollectorPolicy:
    """The policy's state for one process: ``POLICY`` below is the one the cockpit uses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._enabled = False
        self._holding = 0  # taking_in blocks open, on any thread
        self.pending = 0  # readings frozen since the last reclaim: none, nothing to reclaim
        self.reclaimed_at = time.monotonic()

    def enable(self) -> None:
        """Use this policy in this process (the cockpit's TUI; never a library caller)."""
        self._enabled = True

    @contextlib.contextmanager
    def taking_in(self) -> Iterator[None]:
        """A large reading built and put in: no collection during it, its objects frozen after.

        Blocks may overlap, on any thread (two panes reading at once): the collector is held off
        from the first one's start to the last one's end, and the freeze is made then.
        """
        with self._lock:
            hold = self._enabled and (self._holding > 0 or gc.isenabled())
            if hold:
                if self._holding == 0:
                    gc.disable()
                self._holding += 1
        try:
            yield
        finally:
            if hold:
                with self._lock:
                    self._holding -= 1
                    if self._holding == 0:
                        gc.freeze()
                        self.pending += 1
                        gc.enable()

    def due(self, now: float, last_input: float) -> bool:
        """Whether a ``reclaim`` is due at ``now`` (``time.monotonic``): something was frozen, the
        last one was RECLAIM_EVERY_S ago or more, and no key came for QUIET_FOR_S."""
        return (
            self.pending > 0
            and now - self.reclaimed_at >= RECLAIM_EVERY_S
            and now - last_input >= QUIET_FOR_S
        )

    def reclaim(self) -> int:
        """Every frozen object back in the collector's sight, one full collection, frozen again.

        Returns the unreachable objects found (the cyclic garbage the freezes kept). It walks the
        whole heap, so the caller picks a moment when nobody waits for a key. Does nothing while
        a reading is being taken in.
        """
        with self._lock:
            if self._holding or not self._enabled:
                return 0
            gc.unfreeze()
            found = gc.collect()
            gc.freeze()
            self.pending = 0
            self.reclaimed_at = time.monotonic()
            return found


POLICY = CollectorPolicy()
taking_in = POLICY.taking_in
