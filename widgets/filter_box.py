"""A pane's one-line filter, opened with `/`: it applies as you type; enter keeps it, esc clears it.

One row at 80x24, whatever has the focus: the box's Input is borderless when focused too, since
Textual's ``Input:focus`` border would win over ``height: 1`` and leave two border lines and no
text row, the filter typed invisible. The row reads ``/ filter: <text>``; a filter that does not parse yet
(``min:1`` on its way to ``min:1s``) is said whole on a second row while it is wrong, and the last
good one stays applied, instead of a notification per keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from cockpit.errors import CockpitError

Parsed = TypeVar("Parsed")


class _FilterInput(Input):
    """Enter hands the keys on at once, to what follows the box (the pane's table), so a key typed
    right after it (enter again, to open the row) reaches the table: the box, focused until the
    pane's handler ran, would swallow it."""

    async def action_submit(self) -> None:
        await super().action_submit()
        self.screen.focus_next()


class FilterBox(Vertical):
    """Posts ``FilterBox.Changed`` on every edit, ``Submitted`` on enter, ``Cleared`` on esc."""

    DEFAULT_CSS = """
    FilterBox { display: none; height: auto; width: 1fr; padding: 0 1; background: $boost; }
    FilterBox.-open { display: block; }
    FilterBox > Horizontal { height: 1; }
    FilterBox .filter-prompt { width: auto; text-style: bold; }
    FilterBox Input, FilterBox Input:focus {
        border: none; height: 1; width: 1fr; padding: 0; background: transparent;
    }
    FilterBox > .filter-problem { display: none; width: 1fr; color: $warning; text-style: italic; }
    FilterBox > .filter-problem.-shown { display: block; }
    """

    BINDINGS = [Binding("escape", "clear", "Clear filter", key_display="esc")]

    class Changed(Message):
        """The text was edited: the pane applies it if it parses (handled by the pane)."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    class Submitted(Message):
        """Enter: the pane applies the text, or says why it cannot, and closes the box."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    class Cleared(Message):
        """Esc: no filter any more (the pane shows everything again)."""

    def __init__(self, placeholder: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("/ filter: ", classes="filter-prompt")
            yield _FilterInput(placeholder=self.placeholder, select_on_focus=False)
        yield Label("", classes="filter-problem")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    def open(self, value: str, problem: str = "") -> None:
        self.add_class("-open")
        field = self.query_one(Input)
        with field.prevent(Input.Changed):  # the filter in force, shown again: nothing changes
            field.value = value
        field.cursor_position = len(value)
        self.say_problem(problem)
        field.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.say_problem("")

    def read(self, value: str, parse: Callable[[str], Parsed], *, submitted: bool = False) -> Parsed | None:
        """``value`` parsed by the pane's ``parse``, or None with what is wrong said: beside the
        text as it is typed; on enter also as a notification, the box kept open to correct it.
        On enter with a filter that parses, the box closes."""
        try:
            parsed = parse(value)
        except CockpitError as exc:
            if submitted:
                self.notify(str(exc), title="Filter", severity="error", markup=False)
                self.open(value, str(exc))  # back in the box, to correct it
            else:
                self.say_problem(str(exc))
            return None
        if submitted:
            self.close()
        else:
            self.say_problem("")
        return parsed

    def say_problem(self, problem: str) -> None:
        """What is wrong with the text typed so far ("" when it applies)."""
        shown = self.query_one(".filter-problem", Label)
        shown.update(Text(problem))
        shown.set_class(bool(problem), "-shown")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    def action_clear(self) -> None:
        field = self.query_one(Input)
        with field.prevent(Input.Changed):
            field.value = ""
        self.post_message(self.Cleared())
