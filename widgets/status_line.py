"""A pane's one-line summary, allowed a second line when the terminal is narrow."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Label

from widgets.verbatim import as_text


class StatusLine(Label):
    """What the pane is showing and how fresh it is (``update``d by the pane).

    At 80 columns a summary such as "s3 warn (...); folder crit (newest backup 30h old...)" is
    wider than the screen: it wraps to a second line rather than losing its end, the part an
    operator most often needs. Two lines at most, so the tables keep their rows at 80x24.

    A str is shown as text, never parsed as markup: summaries carry what servers and stores said
    (an error message, a relation's name; widgets.verbatim).

    An update asks for a layout pass only when the summary changes its number of lines: a
    layout pass makes Textual redraw more than the text, which a refresh must not pay for
    (bench/idle_footprint.py).
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

    _shown: str | None = None
    _lines = 0

    def update(self, content: VisualType = "", *, layout: bool | None = None) -> None:
        if isinstance(content, str | Text):
            content = as_text(content)
        text = content.plain if isinstance(content, Text) else str(content)
        if text == self._shown:
            return
        self._shown = text
        width = self.content_size.width
        lines = 1 if width and cell_len(text) <= width else 2
        super().update(content, layout=lines != self._lines if layout is None else layout)
        self._lines = lines

    def on_resize(self) -> None:
        self._shown = None  # the next update measures again at the new width
