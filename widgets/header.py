"""The cockpit's top line: which target, whether read-only, where the maintenance window is."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from widgets.verbatim import verbatim


class CockpitHeader(Horizontal):
    """Target name, a READ-ONLY badge (observers, and protected targets until armed), a PROTECTED
    badge, the armed writes' countdown, the window state."""

    DEFAULT_CSS = """
    CockpitHeader {
        height: 1;
        dock: top;
        background: $panel;
        color: $foreground;
    }
    CockpitHeader > Label { padding: 0 1; }
    CockpitHeader #title { text-style: bold; }
    CockpitHeader #target { text-style: bold; color: $accent; }
    CockpitHeader .badge { display: none; text-style: bold; }
    CockpitHeader #read-only { background: $warning; color: $background; }
    CockpitHeader #protected { background: $error; color: $background; }
    CockpitHeader #armed { background: $error; color: $text; }
    CockpitHeader.-read-only #read-only { display: block; }
    CockpitHeader.-protected #protected { display: block; }
    CockpitHeader.-armed #armed { display: block; }
    CockpitHeader #window { width: 1fr; text-align: right; color: $text-muted; }
    CockpitHeader.-in-window #window { color: $success; text-style: bold; }
    CockpitHeader.-window-warning #window { color: $warning; text-style: bold; }
    CockpitHeader.-window-critical #window { background: $error; color: $background; text-style: bold; }
    """

    target: reactive[str] = reactive("")
    read_only: reactive[bool] = reactive(False)
    protected: reactive[bool] = reactive(False)
    armed: reactive[str] = reactive("")  # a protected target's writes: time left while armed
    window: reactive[str] = reactive("")
    in_window: reactive[bool] = reactive(False)
    window_urgency: reactive[str] = reactive("")  # "", "warning" or "critical" as the window closes

    def compose(self) -> ComposeResult:
        yield Label("ops-cockpit", id="title")
        yield Label("", id="target")
        yield Label("READ-ONLY", id="read-only", classes="badge")
        yield Label("PROTECTED", id="protected", classes="badge")
        yield Label("", id="armed", classes="badge")
        yield Label("", id="window")

    def watch_target(self, value: str) -> None:
        self.query_one("#target", Label).update(verbatim(value))  # a name from the config

    def watch_read_only(self, value: bool) -> None:
        self.set_class(value, "-read-only")

    def watch_protected(self, value: bool) -> None:
        self.set_class(value, "-protected")

    def watch_armed(self, value: str) -> None:
        self.query_one("#armed", Label).update(f"WRITES ARMED {value}")
        self.set_class(bool(value), "-armed")

    def watch_window(self, value: str) -> None:
        self.query_one("#window", Label).update(verbatim(value))  # names a window of the config

    def watch_in_window(self, value: bool) -> None:
        self.set_class(value, "-in-window")

    def watch_window_urgency(self, value: str) -> None:
        self.set_class(value == "warning", "-window-warning")
        self.set_class(value == "critical", "-window-critical")
