"""A latency trend as one line of text (fits a table cell), failures marked with a cross."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
FAILED = "\u00d7"  # a multiplication sign: a cross that reads at any size


def sparkline(values: Sequence[float | None], width: int) -> Text:
    """The last ``width`` values scaled between their min and max; None (a failure) is FAILED."""
    recent = list(values)[-width:]
    numbers = [v for v in recent if v is not None]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    span = high - low
    text = Text()
    for value in recent:
        if value is None:
            text.append(FAILED, style="bold red")
        else:
            level = int((value - low) / span * (len(BARS) - 1)) if span else 0
            text.append(BARS[level])
    return text
