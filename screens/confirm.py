"""The confirmation an action needs: a yes, or the target's name typed for protected targets."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from cockpit.guard import Confirmation, ConfirmationKind


class ConfirmScreen(ModalScreen[Confirmation]):
    """Dismisses with a Confirmation; escape or "Cancel" give ``confirmed=False``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        summary: str,
        target: str,
        kind: ConfirmationKind,
        details: tuple[str, ...] = (),
        *,
        verb: str = "Run",
    ) -> None:
        super().__init__()
        self.verb = verb
        self.summary = summary
        self.target = target
        self.kind = kind
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(f"[b]{self.summary}[/b]", id="confirm-summary")
            if self.details:
                yield Label(f"exactly these {len(self.details)}:")
                with VerticalScroll(id="confirm-details"):
                    yield Label("\n".join(self.details), markup=False)
            yield Label(f"on target [b]{self.target}[/b]")
            if self.kind is ConfirmationKind.TYPED:
                yield Label(f"{self.target} is protected: type its name to confirm")
                yield Input(placeholder=self.target, id="confirm-typed")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    self.verb, variant="error", id="confirm-run", disabled=self.kind is ConfirmationKind.TYPED
                )
                yield Button("Cancel", id="confirm-cancel")

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

    @on(Button.Pressed, "#confirm-run")
    def _run(self) -> None:
        typed = self.query_one(Input).value if self.kind is ConfirmationKind.TYPED else ""
        self.dismiss(Confirmation(confirmed=True, typed=typed))

    @on(Button.Pressed, "#confirm-cancel")
    def action_cancel(self) -> None:
        self.dismiss(Confirmation(confirmed=False))
