"""A pane's one-line summary, allowed a second line when the terminal is narrow."""

from __future__ import annotations

from textual.widgets import Label


class StatusLine(Label):
    """What the pane is showing and how fresh it is (``update``d by the pane).

    At 80 columns a summary such as "s3 warn (...); folder crit (newest backup 30h old...)" is
    wider than the screen: it wraps to a second line rather than losing its end, the part an
    operator most often needs. Two lines at most, so the tables keep their rows at 80x24.
    """

    DEFAULT_CSS = """
    StatusLine {
        width: 1fr;
        height: auto;
        max-height: 2;
        color: $text-muted;
        padding: 0 1;
    }
    """
