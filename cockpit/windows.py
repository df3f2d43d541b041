"""Maintenance windows: am I inside one now, how long is left, and when is the next one.

Windows come from config, in the runbooks' forms: weekly ("sun 02:00"), monthly
("first sun 02:00") or one-off ("2026-12-06T02:00"), each with a duration and a timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cockpit.units import format_duration

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from cockpit.config import MaintenanceWindow

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed window: how to list its starts near an instant."""

    name: str
    kind: str
    weekday: int
    ordinal: int
    at_time: tuple[int, int]
    once: datetime | None
    duration: timedelta
    zone: ZoneInfo

    def starts_near(self, now: datetime) -> Iterator[datetime]:
        """Every start from about a month before ``now`` to about two months after."""
        local = now.astimezone(self.zone)
        if self.once is not None:
            yield self.once
            return
        if self.kind == "weekly":
            day = local.date() - timedelta(days=8)
            for offset in range(8 + 15):
                current = day + timedelta(days=offset)
                if current.weekday() == self.weekday:
                    yield self._at(current)
            return
        year, month = local.year, local.month - 1
        for _ in range(4):
            if month == 0:
                year, month = year - 1, 12
            yield self._at(_nth_weekday(year, month, self.weekday, self.ordinal))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _at(self, day: date) -> datetime:
        hour, minute = self.at_time
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    if ordinal > 0:
        first = date(year, month, 1)
        shift = (weekday - first.weekday()) % 7
        return first + timedelta(days=shift + 7 * (ordinal - 1))
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _parse_time(text: str) -> tuple[int, int]:
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"expected a time like 02:00, got {text!r}")
    return int(hour), int(minute)


def _parse_day(text: str) -> int:
    key = text[:3].lower()
    if key not in _DAYS:
        raise ValueError(f"expected a weekday like sun, got {text!r}")
    return _DAYS.index(key)


def schedule_of(window: MaintenanceWindow) -> Schedule:
    """Parse a configured window; ValueError says which form was expected."""
    try:
        zone = ZoneInfo(window.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {window.timezone!r} (use an IANA name like UTC or Europe/Paris)"
        ) from None
    duration = window.duration
    once: datetime | None = None
    weekday, ordinal, at_time, kind = 0, 0, (0, 0), "once"
    if window.weekly:
        parts = window.weekly.split()
        if len(parts) != 2:
            raise ValueError(f"`weekly` expects 'DAY HH:MM' like 'sun 02:00', got {window.weekly!r}")
        kind, weekday, at_time = "weekly", _parse_day(parts[0]), _parse_time(parts[1])
    elif window.monthly:
        parts = window.monthly.split()
        if len(parts) != 3 or parts[0].lower() not in _ORDINALS:
            raise ValueError(
                f"`monthly` expects 'first|second|third|fourth|last DAY HH:MM', got {window.monthly!r}"
            )
        kind, ordinal = "monthly", _ORDINALS[parts[0].lower()]
        weekday, at_time = _parse_day(parts[1]), _parse_time(parts[2])
    elif window.at:
        try:
            once = datetime.fromisoformat(window.at)
        except ValueError:
            raise ValueError(
                f"`at` expects an ISO date-time like 2026-12-06T02:00, got {window.at!r}"
            ) from None
        once = once if once.tzinfo else once.replace(tzinfo=zone)
        if not 1970 <= once.year <= 2999:  # year 9999 plus its duration overflows datetime
            raise ValueError(f"`at` must be a date between 1970 and 2999, got {window.at!r}")
    return Schedule(window.name, kind, weekday, ordinal, at_time, once, duration, zone)


@dataclass(frozen=True, slots=True)
class WindowState:
    """Where ``now`` stands against the configured windows."""

    now: datetime
    active_name: str | None = None
    active_until: datetime | None = None
    next_name: str | None = None
    next_start: datetime | None = None

    @property
    def in_window(self) -> bool:
        return self.active_name is not None

    def urgency(self, warn_before: timedelta) -> str:
        """ "" outside a window or with time to spare; "warning" within ``warn_before`` of the
        window's end; "critical" within a third of it (time to wrap up or roll back)."""
        if self.active_until is None:
            return ""
        left = self.active_until - self.now
        return "critical" if left <= warn_before / 3 else "warning" if left <= warn_before else ""

    def describe(self) -> str:
        """One short phrase for the header: 'in window weekly, 1h 20m left' or the next one."""
        if self.active_name is not None and self.active_until is not None:
            left = format_duration(self.active_until - self.now)
            return f"in window {self.active_name}: {left} left"
        if self.next_name is not None and self.next_start is not None:
            return f"next window {self.next_name} in {format_duration(self.next_start - self.now)}"
        return "no maintenance window"


def window_state(windows: Iterable[MaintenanceWindow], now: datetime | None = None) -> WindowState:
    """Which window is open now (the one ending last wins) and which opens next."""
    now = now or datetime.now(UTC)
    active: tuple[datetime, str] | None = None
    upcoming: tuple[datetime, str] | None = None
    for window in windows:
        schedule = schedule_of(window)
        for start in schedule.starts_near(now):
            end = start + schedule.duration
            if start <= now < end and (active is None or end > active[0]):
                active = (end, window.name)
            elif start > now and (upcoming is None or start < upcoming[0]):
                upcoming = (start, window.name)
    return WindowState(
        now=now,
        active_name=active[1] if active else None,
        active_until=active[0] if active else None,
        next_name=upcoming[1] if upcoming else None,
        next_start=upcoming[0] if upcoming else None,
    )
