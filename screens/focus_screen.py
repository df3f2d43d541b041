"""A screen whose focus change repaints only the widgets it concerns, not the whole screen.

Textual's `Screen.focused` is a reactive that repaints the screen when it changes. A view switch
(the Queries pane's `v`) moves the focus to the table shown, and its frame already lays out and
paints that table; the screen's repaint then paints every widget on it a second time, in the same
frame: about a quarter of the switch's frame, 23 ms -> 17 ms measured (bench/README.md). The
widgets the focus left and reached repaint themselves (their `:focus` styles, their own focus
handlers), so the screen need not.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class FocusScreen(Screen[None]):
    """The cockpit's main screen: Textual's, without the whole-screen repaint on focus."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
