"""A pane's views, one on screen at a time (Queries, Bloat, Secrets cycle theirs with `v`)."""

from __future__ import annotations

from textual.widgets import ContentSwitcher


class ViewSwitcher(ContentSwitcher):
    def show(self, view: str) -> None:
        """Put ``view`` on screen and give it the keys."""
        self.current = view
        self.focus_shown()

    def focus_shown(self) -> None:
        """Focus the view on screen, if it takes focus (after a filter box or dialog closes)."""
        shown = self.visible_content
        if shown is not None and shown.focusable:
            shown.focus()
