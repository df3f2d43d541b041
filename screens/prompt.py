"""A one-line question (a skip's reason, a note, a run parameter): enter answers, escape cancels.

The question wraps and the box grows with the terminal: a run parameter's prompt ("P0 outage/
breach, P1 major feature broken, P2 degraded, P3 minor") must be read whole, not cut at a fixed width.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from widgets.verbatim import verbatim


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > #prompt-box {
        width: 90%; max-width: 110; height: auto; border: round $accent; padding: 0 1;
    }
    PromptScreen #prompt-box > Label { width: 100%; }
    """

    def __init__(
        self, question: str, *, placeholder: str = "", required: bool = True, value: str = ""
    ) -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.required = required
        self.value = value  # the answer offered (a parameter's default), to accept or edit

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(verbatim(self.question))  # names steps and parameters of a checklist file
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("enter: ok   escape: cancel", classes="muted")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.required and not event.value.strip():
            self.notify("an answer is needed (escape cancels)", severity="warning")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
