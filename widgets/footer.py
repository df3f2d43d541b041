"""The key bar: the keys the focused widget answers to, drawn as one line by one widget.

Textual's Footer mounts a widget per key and recomposes on every bindings signal (every focus
change, every view switch). Each of the Queries pane's views has keys of its own, so a `v` paid
for unmounting and mounting a dozen widgets and restyling them: about a sixth of the key's time
in a profile (bench/README.md). This bar keeps the keys as data, compares them on each signal, and
repaints its one line only when they changed.

It looks like Textual's Footer (the same theme variables), shows the command palette's key at the
right edge, cuts the keys that do not fit with a `…`, and runs a key when it is clicked.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

ELLIPSIS = "…"


class ShownKey(NamedTuple):
    """One key as the bar shows it."""

    key: str
    """The key pressed when it is clicked (a Textual key name)."""
    display: str
    """How the key is written: `^p`, `enter`, `q`."""
    description: str
    enabled: bool


class KeySpan(NamedTuple):
    """Where a key was drawn on the line, so that a click finds it."""

    start: int
    end: int
    key: ShownKey


class KeyBar(Widget, can_focus=False):
    """One line of keys at the bottom of a screen."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(
        self,
        *,
        compact: bool = False,
        show_command_palette: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.compact = compact
        """Compact: no padding around a key (the checklist run screen, where room is short)."""
        self.show_command_palette = show_command_palette
        self.keys: tuple[ShownKey, ...] = ()
        """The keys shown, left to right."""
        self.palette_key: ShownKey | None = None
        """The command palette's key, shown at the right edge."""
        self.drawn: list[KeySpan] = []
        """Where each key shown was drawn in the last render (a click finds its key here)."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Read the screen's active keys; repaint only when what is shown changed."""
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette_key = self.shown_keys(screen)
        if keys != self.keys or palette_key != self.palette_key:
            self.keys, self.palette_key = keys, palette_key
            self.refresh()

    def shown_keys(self, screen: Screen[object]) -> tuple[tuple[ShownKey, ...], ShownKey | None]:
        app = screen.app
        # One key per action, the first bound to it (as Textual's Footer shows them).
        by_action: dict[str, ShownKey] = {}
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = ShownKey(
                    binding.key, app.get_key_display(binding), binding.description, enabled
                )
        palette_key = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            active = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
            if active is not None:
                binding = active.binding
                palette_key = ShownKey(
                    binding.key, app.get_key_display(binding), binding.description, active.enabled
                )
        return tuple(by_action.values()), palette_key

    def key_text(self, shown: ShownKey, key_style: Style, description_style: Style) -> Text:
        pad = "" if self.compact else " "
        text = Text.assemble((f"{pad}{shown.display}{pad}", key_style))
        if shown.description:
            description = f" {shown.description}" if self.compact else f"{shown.description} "
            text.append(description, description_style)
        if not shown.enabled:
            text.stylize(Style(dim=True))
        return text

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        width = self.size.width
        gap = " " if self.compact else ""
        palette_key = self.palette_key
        palette = Text()
        if palette_key is not None:
            palette = Text.assemble(
                ("▏", Style(dim=True)),
                (palette_key.display, key_style),
                (f" {palette_key.description} ", description_style),
            )
        room = width - palette.cell_len
        line = Text(no_wrap=True, overflow="crop", end="")
        self.drawn = []
        for index, shown in enumerate(self.keys):
            piece = self.key_text(shown, key_style, description_style)
            more_after = index < len(self.keys) - 1
            # A key with more after it leaves room for the gap and the `…` that may follow.
            needed = piece.cell_len + (len(gap) + cell_len(ELLIPSIS) if more_after else 0)
            if line.cell_len + needed > room:
                line.append(ELLIPSIS)
                break
            start = line.cell_len
            line.append_text(piece)
            self.drawn.append(KeySpan(start, line.cell_len, shown))
            if more_after:
                line.append(gap)
        line.pad_right(max(0, room - line.cell_len))
        if palette_key is not None:
            start = line.cell_len
            line.append_text(palette)
            self.drawn.append(KeySpan(start + 1, line.cell_len, palette_key))
        return line

    def on_click(self, event: events.Click) -> None:
        """A click on a key runs it; a disabled key rings the bell."""
        for span in self.drawn:
            if span.start <= event.x < span.end:
                if span.key.enabled:
                    self.app.simulate_key(span.key.key)
                else:
                    self.app.bell()
                return
