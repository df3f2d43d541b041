"""Units as the operator reads and types them: durations and ages ("250ms", "90s", "30m", "24h",
"7d", "2w"; shown as "2h 05m"), sizes ("10MB"; shown as "3.0 MB") and instants (always with their
zone, in UTC). Every pane, finding and command line says a size or an age through this module, so
one quantity reads one way everywhere."""

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


def format_duration(delta: timedelta | float) -> str:
    """A duration or an age (a timedelta, or seconds), in its two most significant units: '3d 4h',
    '2h 05m', '4m 10s', '45s'; truncated, never rounded up (59.9 s is '59s', not a minute). A
    negative one keeps its sign: an age of '-5s' is an instant in the future (a skewed clock)."""
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
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


# Binary multiples spelt as PostgreSQL spells them (pg_size_pretty, postgresql.conf): 1 kB is
# 1024 bytes. Upper case or lower case on input: "10mb" is 10 MB.
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """A size as typed: "10MB", "500kB", "1.5gb", "4096" (bytes); raise ValueError naming the
    accepted form."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a size like 10MB, 500kB or 1GB, got {text!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


def format_size(n: float | None) -> str:
    """'0 B', '1023 B', '1.0 kB', '3.0 MB', up to TB (a petabyte is '1024.0 TB'); '-' for a size
    not known. A unit changes where the shown figure would reach 1024, so 1 MB less a byte is
    '1.0 MB', never '1024.0 kB'."""
    if n is None:
        return "-"
    value = float(n)
    if abs(round(value)) < 1024:
        return f"{value:.0f} B"
    for unit in ("kB", "MB", "GB"):
        value /= 1024
        if abs(round(value, 1)) < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TB"


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
