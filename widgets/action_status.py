"""The running action's line: what runs, how far it is, and how to cancel it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from widgets.verbatim import verbatim


class ActionStatus(Horizontal):
    """Hidden when idle; ``start``, ``progress`` and ``finish`` drive it.

    It sits in the layout between the panes and the key bar, not docked: two widgets docked at
    the bottom share the same line, and the key bar would hide it.
    """

    DEFAULT_CSS = """
    ActionStatus {
        height: 1;
        display: none;
        background: $boost;
    }
    ActionStatus.-running { display: block; }
    ActionStatus > #action-label { width: 1fr; padding: 0 1; }
    ActionStatus > ProgressBar { width: 30; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="action-label")
        # Determinate while idle: an indeterminate bar animates 15 times a second, hidden or
        # not (Textual's auto_refresh timer keeps ticking), and an idle cockpit draws nothing.
        yield ProgressBar(total=100, show_eta=False, id="action-progress")

    def start(self, summary: str) -> None:
        # Summaries and progress name tables, stores and keys: text, never markup.
        self.query_one("#action-label", Label).update(verbatim(f"{summary} (ctrl+x cancels)"))
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def progress(self, message: str, fraction: float | None) -> None:
        self.query_one("#action-label", Label).update(verbatim(f"{message} (ctrl+x cancels)"))
        bar = self.query_one(ProgressBar)
        if fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(fraction * 100, 1))

    def say(self, message: str) -> None:
        """A line with no action behind it (the app quitting): no bar, nothing to cancel."""
        self.query_one("#action-label", Label).update(verbatim(message))
        self.query_one(ProgressBar).display = False
        self.add_class("-running")

    def finish(self) -> None:
        self.remove_class("-running")
        self.query_one(ProgressBar).update(total=100, progress=0)  # stops the animation's timer
