"""The cockpit's tabbed panes: TabbedContent that follows focus only while the focus is still there.

TabbedContent switches to a pane when a widget inside it is focused, one message hop later. A
focus that has moved on by then is stale: following it would undo a digit typed at that moment
(the start's focus into the first pane, then a digit at once, would show the first pane again).
"""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class PaneTabs(TabbedContent):
    """Ignores TabPane.Focused once the focus has left that pane (TabbedContent's own handler
    would switch back to it)."""

    DEFAULT_CSS = "PaneTabs { height: 1fr; }"

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.stop()
            event.prevent_default()  # TabbedContent's handler, next in the MRO, does not run
