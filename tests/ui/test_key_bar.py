"""KeyBar: the keys as one line by one widget, repainted only when they change, cut with `…`.

A real Textual app in the pilot; the bar's line is read from its own render, and its repaints
counted by a subclass that counts its renders.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from widgets.footer import KeyBar


class Focusable(Static, can_focus=True):
    pass


class First(Focusable):
    BINDINGS = [Binding("a", "app.note('a')", "Alpha"), Binding("b", "app.note('b')", "Beta")]


class Second(Focusable):
    BINDINGS = [Binding("a", "app.note('a')", "Alpha"), Binding("b", "app.note('b')", "Beta")]


class Third(Focusable):
    BINDINGS = [Binding("c", "app.note('c')", "Gamma", show=True)]


class CountingKeyBar(KeyBar):
    """The bar, counting its renders (a render is a repaint of its line)."""

    renders = 0

    def render(self) -> Text:
        self.renders += 1
        return super().render()


class KeysApp(App[None]):
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("x", "app.note('x')", "Extra wide description")]

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__()
        self.noted: list[str] = []
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield First("one", id="first")
        yield Second("two", id="second")
        yield Third("three", id="third")
        yield CountingKeyBar(compact=self.compact)

    def action_note(self, what: str) -> None:
        self.noted.append(what)


def line(app: App[None]) -> str:
    return app.query_one(KeyBar).render().plain


async def test_the_bar_shows_the_focused_widgets_keys_and_the_palette_at_the_right() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        shown = line(app)
        assert shown.startswith(" a Alpha  b Beta  q Quit  x Extra wide description ")
        assert shown.rstrip().endswith("▏^p palette") and len(shown) == 80
        app.query_one("#third").focus()
        await pilot.pause()
        assert " c Gamma " in line(app) and "Alpha" not in line(app)


async def test_a_focus_change_with_the_same_keys_does_not_repaint_the_bar() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        bar = app.query_one(CountingKeyBar)
        before = bar.renders
        app.query_one("#second").focus()  # the same keys
        await pilot.pause()
        assert bar.renders == before
        app.query_one("#third").focus()  # other keys
        await pilot.pause()
        assert bar.renders > before


async def test_keys_that_do_not_fit_are_cut_with_an_ellipsis_and_the_palette_stays() -> None:
    app = KeysApp()
    async with app.run_test(size=(40, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        shown = line(app)
        assert len(shown) == 40 and "…" in shown and "Extra" not in shown
        assert " q Quit" in shown and shown.rstrip().endswith("▏^p palette")


@pytest.mark.parametrize("compact", [False, True])
async def test_at_every_width_the_line_fills_the_bar_and_the_palette_ends_it(compact: bool) -> None:
    """Wherever the cut falls (the `…` after a key and its gap), nothing pushes past the edge."""
    for width in range(24, 72):
        app = KeysApp(compact=compact)
        async with app.run_test(size=(width, 10)) as pilot:
            app.query_one("#first").focus()
            await pilot.pause()
            shown = line(app)
            assert len(shown) == width, (width, shown)
            assert shown.rstrip().endswith("▏^p palette"), (width, shown)


async def test_a_click_on_a_key_runs_it() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        bar = app.query_one(KeyBar)
        beta = next(span for span in bar.drawn if span.key.key == "b")
        await pilot.click(KeyBar, offset=(beta.start + 1, 0))
        await pilot.pause()
        assert app.noted == ["b"]
        await pilot.click(KeyBar, offset=(beta.end + 0, 0))  # the gap after Beta: nothing
        await pilot.pause()
        assert app.noted == ["b"]


def test_the_bar_touches_no_private_attribute_of_textual() -> None:
    """Textual's Footer is a widget per key; ours draws on the public Widget API alone."""
    source = Path(__file__).resolve().parents[2] / "widgets" / "footer.py"
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_") or node.attr.startswith("__"), node.attr
        if isinstance(node, ast.FunctionDef):
            assert not node.name.startswith("_") or node.name == "__init__", node.name
