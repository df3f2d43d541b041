"""A table's freeze age counted to the server's transaction counter, as the server's age() does."""

from __future__ import annotations

from cockpit.probes.bloat import INT32_MAX, xid_age


def test_an_age_is_the_counter_less_the_xid() -> None:
    assert xid_age(100, 150) == 50
    assert xid_age(150, 150) == 0


def test_an_age_is_counted_across_the_counters_wraparound() -> None:
    # 32-bit ids wrap: an xid handed out just before the wrap is 15 transactions old at 5.
    assert xid_age(2**32 - 10, 5) == 15


def test_the_frozen_and_bootstrap_ids_are_infinitely_old() -> None:
    assert xid_age(2, 1_000) == INT32_MAX  # FrozenTransactionId
    assert xid_age(1, 1_000) == INT32_MAX  # BootstrapTransactionId
