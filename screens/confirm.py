"""The confirmation an action needs: a yes, or the target's name typed for protected targets.

Read at 3 a.m., it must not be misread. Its buttons say what they do ("Terminate 1072",
"Keep it"), never "Run" / "Cancel" alone; the safe one has the focus, and the focused one is
marked by shape, not colour alone (``▶ Keep it ◀`` in reverse video, the other plain), so a
16-colour terminal or ``NO_COLOR`` shows it as plainly as truecolor does. Dismissing it is said
("cancelled: nothing ran"): silence can be read as the action done. Its text wraps, it grows with
the terminal, and what it lists is a list, one item a line.

Every piece of text it shows comes from outside (a session's query, a backup's key) and is shown
as plain text (``widgets.verbatim``), never parsed as markup, its control characters written out.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from cockpit.guard import Confirmation, ConfirmationKind
from widgets.verbatim import verbatim

FOCUS_MARKS = ("▶ ", " ◀")


class DialogButton(Button):
    """A button whose focus is unmistakable: reverse video and ``▶ label ◀`` when focused, plain
    text otherwise (a bright fill on the button without the focus reads as the focused one)."""

    # !important: Button's own rules for 16-colour terminals (Button:ansi.-style-default, some
    # !important themselves) would otherwise give both buttons a tall bordered fill again.
    DEFAULT_CSS = """
    DialogButton {
        border: none !important; height: 1 !important; min-width: 0; width: auto; padding: 0 1;
        margin: 0 2 0 0; background: transparent !important; background-tint: transparent !important;
        color: $text !important; text-style: none !important; tint: transparent !important;
        &:hover { text-style: underline !important; }
        &:focus { text-style: reverse bold !important; }
        &:disabled { text-style: strike !important; color: $text-muted !important; }
    }
    """

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(self._plain(label), **kwargs)  # type: ignore[arg-type]
        self.name_text = label

    @staticmethod
    def _plain(label: str) -> Text:
        width = len(FOCUS_MARKS[0])  # the marks' room, kept when unfocused: nothing moves
        return verbatim(" " * width + label + " " * width)  # a key, a table: foreign text

    def on_focus(self) -> None:
        self.label = verbatim(FOCUS_MARKS[0] + self.name_text + FOCUS_MARKS[1])

    def on_blur(self) -> None:
        self.label = self._plain(self.name_text)


class ConfirmScreen(ModalScreen[Confirmation]):
    """Dismisses with a Confirmation; escape or the keep button give ``confirmed=False``.

    ``verb`` labels the button that runs the action, ``keep`` the one that does not; ``listing``
    names what ``details`` are when they are the exact set acted on ("sessions": "exactly these
    2 sessions:"), and ``cancelled`` is the notice shown when nothing runs.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("left,shift+tab", "app.focus_previous", "Previous", show=False),
        Binding("right,tab", "app.focus_next", "Next", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > #confirm-box {
        min-width: 50; max-width: 90%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    ConfirmScreen #confirm-box > Label { width: 100%; }
    ConfirmScreen #confirm-details { width: 100%; height: auto; max-height: 10; margin: 1 0 0 0; }
    ConfirmScreen #confirm-protected { margin: 1 0 0 0; }
    ConfirmScreen #confirm-typed { width: 100%; }
    ConfirmScreen #confirm-buttons { width: auto; height: auto; margin: 1 0 0 0; }
    ConfirmScreen #confirm-keys { color: $text-muted; width: auto; }
    """

    def __init__(
        self,
        summary: str,
        target: str,
        kind: ConfirmationKind,
        details: tuple[str, ...] = (),
        *,
        verb: str = "Run",
        keep: str = "Cancel",
        listing: str = "",
        cancelled: str = "cancelled: nothing ran",
    ) -> None:
        super().__init__()
        self.verb = verb
        self.keep = keep
        self.listing = listing
        self.cancelled = cancelled
        self.summary = summary
        self.target = target
        self.kind = kind
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = "Confirm"
            # As wide as its longest line (and the frame), up to 90% of the terminal: it grows
            # with the terminal instead of wrapping a sentence into a narrow column at 160.
            box.styles.width = self._natural_width() + 4
            yield Label(verbatim(self.summary, style="bold"), id="confirm-summary")
            yield Label(Text.assemble("on target ", verbatim(self.target, style="bold")))
            if self.details:
                with VerticalScroll(id="confirm-details"):
                    if self.listing:
                        count = len(self.details)
                        these = f"these {count}" if count > 1 else "this"
                        yield Static(Text(f"exactly {these} {self.listing}:"))
                    yield Static(_bullets(self.details), id="confirm-items")
            if self.kind is ConfirmationKind.TYPED:
                protected = verbatim(f"{self.target} is protected: type its name to confirm")
                yield Label(protected, id="confirm-protected")
                yield Input(placeholder=self.target, id="confirm-typed")
            with Horizontal(id="confirm-buttons"):
                yield DialogButton(self.verb, id="confirm-run", disabled=self.kind is ConfirmationKind.TYPED)
                yield DialogButton(self.keep, id="confirm-cancel")
            yield Label(self._keys_line(), id="confirm-keys")

    def _natural_width(self) -> int:
        lines = [self.summary, f"on target {self.target}", self._keys_line().plain]
        lines += [f"• {item}" for item in self.details]
        return max(cell_len(line) for line in lines)

    def _keys_line(self) -> Text:
        if self.kind is ConfirmationKind.TYPED:
            return verbatim(f"type {self.target}, then enter: {self.verb}   esc: {self.keep.lower()}")
        return Text(f"enter: the ▶ marked ◀ button   tab/arrows: move   esc: {self.keep.lower()}")

    def on_mount(self) -> None:
        if self.kind is ConfirmationKind.TYPED:
            self.query_one(Input).focus()
        else:
            self.query_one("#confirm-cancel", Button).focus()  # the safe default

    @on(Input.Changed, "#confirm-typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-run", Button).disabled = event.value.strip() != self.target

    @on(Input.Submitted, "#confirm-typed")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.target:
            self.dismiss(Confirmation(confirmed=True, typed=event.value))
        else:
            self.notify(
                f"type {self.target} exactly to confirm, or esc: {self.keep.lower()}",
                severity="warning",
                markup=False,
            )

    @on(Button.Pressed, "#confirm-run")
    def _run(self) -> None:
        typed = self.query_one(Input).value if self.kind is ConfirmationKind.TYPED else ""
        self.dismiss(Confirmation(confirmed=True, typed=typed))

    @on(Button.Pressed, "#confirm-cancel")
    def action_cancel(self) -> None:
        self.notify(self.summary, title=self.cancelled, severity="warning", markup=False)
        self.dismiss(Confirmation(confirmed=False))


def _bullets(items: tuple[str, ...]) -> Table:
    """One item a line behind a bullet; a wrapped item stays indented under its own bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row("•", verbatim(item))
    return grid
