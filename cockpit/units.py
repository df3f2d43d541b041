"""Units as the operator reads and types them: durations ("250ms", "90s", "30m", "24h", "7d", "2w"),
and instants (always with their zone, in UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# "ms" before "m": a statement's mean is milliseconds (the Queries filter's min:100ms).
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[smhdw])")


# Longer than any window, retention or deadline the cockpit keeps; and well inside what a
# datetime can add (an unbounded one can overflow into an "internal error").
MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """Parse "1h30m" style durations, at most MAX_DURATION (ten years); raise ValueError naming
    the accepted form."""
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"expected a duration like 30s, 15m, 24h, 7d or 1h30m, got {text!r}")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"at most {MAX_DURATION.days}d (ten years), got {text!r}")
    return timedelta(seconds=seconds)


class Duration(timedelta):
    """A duration as the operator wrote it: a ``timedelta`` (compare it, add it to an instant)
    that reads back as its text, so "older than the RPO (24h)" quotes the config, not "1 day,
    0:00:00". The config's durations are these, parsed once when it loads."""

    __slots__ = ("_text",)
    _text: str

    def __new__(cls, text: str) -> Duration:
        length = parse_duration(text)
        self = super().__new__(cls, length.days, length.seconds, length.microseconds)
        self._text = text
        return self

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Duration({self._text!r})"

    def __reduce__(self) -> tuple[type[Duration], tuple[str]]:
        return Duration, (self._text,)


def format_duration(delta: timedelta) -> str:
    """Two most significant units: '3d 4h', '2h 05m', '45s'. Negative durations keep a sign."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def parse_time(text: str) -> datetime:
    """An ISO date or date-time from the config or the state store, as an aware UTC time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Instants as the command line prints them: always with their zone, in UTC (servers, stores and
# the journal keep UTC; a time without a zone is a guess on another host or in another season).
def utc_minute(at: datetime) -> str:
    """``2026-12-01 19:35 UTC``; a naive time is taken as UTC (what the cockpit writes)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def utc_minute_of(text: str) -> str:
    """The same for an ISO 8601 text (the journal's and the state store's columns)."""
    return utc_minute(datetime.fromisoformat(text))
