"""Sizes and ages as every pane, finding and command says them (cockpit.units)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cockpit.probes.bloat_filter import parse_bloat_filter
from cockpit.probes.query_filter import FilterError
from cockpit.units import format_duration, format_size, parse_size

KB, MB, GB, TB = 1024, 1024**2, 1024**3, 1024**4


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 kB"),
        (1536, "1.5 kB"),
        (MB - 1, "1.0 MB"),  # never "1024.0 kB"
        (MB, "1.0 MB"),
        (3 * MB, "3.0 MB"),
        (GB - 1, "1.0 GB"),
        (5 * GB // 2, "2.5 GB"),
        (TB, "1.0 TB"),
        (1024 * TB, "1024.0 TB"),  # TB is the largest unit
        (-2 * KB, "-2.0 kB"),  # a size that shrank
        (1023.4, "1023 B"),
        (None, "-"),
    ],
)
def test_format_size(n: float | None, shown: str) -> None:
    assert format_size(n) == shown


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("10MB", 10 * MB),
        ("10mb", 10 * MB),
        ("500kB", 500 * KB),
        ("1.5GB", 3 * GB // 2),
        ("2 TB", 2 * TB),
        ("4096", 4096),
        ("12b", 12),
        (" 3.0 MB ", 3 * MB),  # what format_size writes reads back
    ],
)
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "MB", "10 MiB", "-1MB", "10XB", "1e3"])
def test_parse_size_refuses_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a size like 10MB, 500kB or 1GB, got "):
        parse_size(text)


def test_the_bloat_filter_reads_sizes_through_units() -> None:
    assert parse_bloat_filter("min:10MB audit").min_bytes == 10 * MB
    with pytest.raises(FilterError, match=r"^min: expected a size like 10MB, 500kB or 1GB, got 'lots'$"):
        parse_bloat_filter("min:lots")


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (0, "0s"),
        (0.9, "0s"),  # truncated: not a second yet
        (59, "59s"),
        (59.9, "59s"),
        (60, "1m 00s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (5400, "1h 30m"),
        (86399, "23h 59m"),
        (86400, "1d 0h"),
        (100 * 86400 + 7200, "100d 2h"),
        (-5, "-5s"),  # an instant in the future: a clock ahead of ours
        (-3600, "-1h 00m"),
    ],
)
def test_format_duration_of_seconds_and_timedeltas(age: float, shown: str) -> None:
    assert format_duration(age) == shown
    assert format_duration(timedelta(seconds=age)) == shown
