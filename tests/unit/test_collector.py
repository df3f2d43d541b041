"""cockpit.collector on the real CPython collector: no collection while a large reading is taken
in, its objects frozen after, and what the freezes kept found again by a reclaim."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from cockpit.collector import QUIET_FOR_S, RECLAIM_EVERY_S, CollectorPolicy


class _Node:
    """An object in a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def policy() -> Iterator[CollectorPolicy]:
    was_enabled = gc.isenabled()
    gc.enable()
    policy = CollectorPolicy()
    policy.enable()
    yield policy
    gc.unfreeze()
    if not was_enabled:
        gc.disable()


def _in_sight(obj: object) -> bool:
    """Whether the collector walks ``obj`` (frozen objects are in no generation)."""
    return any(o is obj for o in gc.get_objects())


def test_a_reading_is_taken_in_with_no_collection_and_frozen_after(policy: CollectorPolicy) -> None:
    with policy.taking_in():
        assert not gc.isenabled()
        kept = [object() for _ in range(3)]
        assert _in_sight(kept)
    assert gc.isenabled()
    assert not _in_sight(kept), "what the reading left alive is still walked by every collection"
    assert policy.pending == 1


def test_the_cycles_a_freeze_kept_are_collected_by_a_reclaim(policy: CollectorPolicy) -> None:
    with policy.taking_in():
        garbage = weakref.ref(_Node())
    gc.collect()
    assert garbage() is not None, "a freeze keeps the cycles of its moment: the reclaim is for them"
    assert policy.reclaim() >= 1
    assert garbage() is None
    assert policy.pending == 0


def test_overlapping_readings_hold_the_collector_off_until_the_last_ends(policy: CollectorPolicy) -> None:
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_pane() -> None:
        with policy.taking_in():
            first_in.wait(5)
        second_out.set()

    with policy.taking_in():
        thread = threading.Thread(target=other_pane)
        thread.start()
        first_in.set()
        assert second_out.wait(5)
        seen.append(gc.isenabled())
    thread.join(5)
    assert seen == [False], "the collector came back on while a reading was still taken in"
    assert gc.isenabled()
    assert policy.pending == 1, "one freeze, when the last reading ended"


def test_a_reclaim_waits_for_a_reading_being_taken_in(policy: CollectorPolicy) -> None:
    with policy.taking_in():
        assert policy.reclaim() == 0
        assert not gc.isenabled()


def test_a_process_that_did_not_enable_it_keeps_pythons_policy() -> None:
    policy = CollectorPolicy()
    with policy.taking_in():
        assert gc.isenabled()
        kept = [object()]
    assert _in_sight(kept)
    assert policy.pending == 0


def test_a_reclaim_is_due_only_after_a_freeze_a_while_apart_and_in_a_quiet_moment(
    policy: CollectorPolicy,
) -> None:
    with policy.taking_in():
        pass
    policy.reclaim()
    start = policy.reclaimed_at
    with policy.taking_in():
        pass
    later = start + RECLAIM_EVERY_S
    assert not policy.due(later - 1, last_input=start), "sooner than RECLAIM_EVERY_S after the last"
    assert not policy.due(later, last_input=later - QUIET_FOR_S + 1), "a key came just now"
    assert policy.due(later, last_input=later - QUIET_FOR_S)
    policy.reclaim()
    assert not policy.due(later + RECLAIM_EVERY_S * 2, last_input=0), "nothing frozen since"
