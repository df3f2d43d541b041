"""Maintenance windows: weekly, monthly and one-off, in their timezones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.config import MaintenanceWindow
from cockpit.units import Duration, format_duration, parse_duration
from cockpit.windows import window_state

WEEKLY = MaintenanceWindow(name="weekly", weekly="sun 02:00", duration=Duration("2h"))
MONTHLY = MaintenanceWindow(name="monthly", monthly="first sun 02:00", duration=Duration("4h"))


def test_inside_the_weekly_window() -> None:
    sunday = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)  # a Sunday
    state = window_state([WEEKLY], sunday)
    assert state.in_window and state.active_name == "weekly"
    assert state.describe() == "in window weekly: 1h 30m left"


def test_outside_gives_the_next_one() -> None:
    monday = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    state = window_state([WEEKLY], monday)
    assert not state.in_window
    assert state.next_start == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert state.describe() == "next window weekly in 5d 14h"


def test_first_sunday_of_the_month_and_the_longer_window_wins() -> None:
    first_sunday = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)
    state = window_state([WEEKLY, MONTHLY], first_sunday)
    assert state.active_name == "monthly"  # the weekly one ended at 04:00
    assert window_state([MONTHLY], datetime(2026, 12, 13, 3, tzinfo=UTC)).in_window is False


def test_one_off_window_in_its_timezone() -> None:
    window = MaintenanceWindow(
        name="upgrade", at="2026-12-12T22:00", duration=Duration("3h"), timezone="Europe/Paris"
    )
    inside = datetime(2026, 12, 12, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    assert window_state([window], inside).in_window
    assert not window_state([window], inside + timedelta(hours=3)).in_window


def test_no_windows() -> None:
    assert window_state([]).describe() == "no maintenance window"


@pytest.mark.parametrize(
    "text,seconds",
    [("30s", 30), ("15m", 900), ("24h", 86400), ("1h30m", 5400), ("7d", 604800), ("2w", 1209600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_bad_duration_and_format() -> None:
    with pytest.raises(ValueError, match="like 30s"):
        parse_duration("soon")
    assert format_duration(timedelta(seconds=-75)) == "-1m 15s"
