"""FocusScreen: a focus change repaints the widgets it concerns and leaves the rest of the screen.

Textual's Screen repaints every widget on a focus change; a view switch paid for painting the
screen twice in one frame. What the compositor asks of each widget is counted by a subclass
that counts its `render_lines` calls (the compositor's call for a widget's lines).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import ContentSwitcher, Static

from screens.focus_screen import FocusScreen


class Counting(Static):
    """Counts the compositor's asks for its lines; red while focused (its `:focus` style), so a
    missed repaint shows."""

    DEFAULT_CSS = "Counting:focus { background: red; }"
    renders = 0

    def render(self) -> Text:
        return Text(f"{self.id} {'focused' if self.has_focus else 'not focused'}")

    def render_lines(self, crop: Region) -> list[Strip]:
        self.renders += 1
        return super().render_lines(crop)


class Focusable(Counting, can_focus=True):
    pass


class TwoViews(App[None]):
    """A status line and two views in a ContentSwitcher; `v` shows the other and focuses it, as
    the Queries pane's `v` does."""

    BINDINGS = [("v", "switch", "View")]

    def __init__(self, screen_class: type[Screen[None]]) -> None:
        super().__init__()
        self.screen_class = screen_class

    def get_default_screen(self) -> Screen[None]:
        return self.screen_class()

    def compose(self) -> ComposeResult:
        yield Counting(id="bystander")
        with ContentSwitcher(initial="left"):
            yield Focusable(id="left")
            yield Focusable(id="right")

    def action_switch(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = "right" if switcher.current == "left" else "left"
        self.query_one(f"#{switcher.current}").focus()


async def switches(screen_class: type[Screen[None]]) -> tuple[int, str, str]:
    """The bystander's line renders over four switches, and what the view shown says after."""
    app = TwoViews(screen_class)
    async with app.run_test(size=(40, 6)) as pilot:
        app.query_one("#left").focus()
        await pilot.pause(0.3)  # the first frames drawn
        bystander = app.query_one("#bystander", Counting)
        before = bystander.renders
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause()
        shown = app.query_one("#left", Focusable)
        return bystander.renders - before, str(shown.render()), str(shown.styles.background)


async def test_a_view_switch_paints_the_screen_once_and_the_focus_shows() -> None:
    ours, shown, background = await switches(FocusScreen)
    textuals, _shown, _background = await switches(Screen)
    # The switch's layout paints the whole screen; Textual's own screen paints it again for
    # the focus change (9 against 5 when written).
    assert ours < textuals
    assert shown == "left focused" and "255, 0, 0" in background
