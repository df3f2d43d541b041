"""``t``: pick another target (environment); the app reopens its panes on it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class TargetPicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    # One line per target: a wrapped description's second line would read as another target.
    DEFAULT_CSS = "TargetPicker #picker-options { text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, targets: Sequence[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.targets = targets
        self.current = current

    def compose(self) -> ComposeResult:
        names = [name for name, _ in self.targets]
        # Names and descriptions from the config: text (a str prompt is parsed as markup).
        prompts = [
            Text.assemble(
                (name, "bold"),
                ("  " + description) if description else "",
            )
            for name, description in self.targets
        ]
        options = OptionList(
            *(Option(prompt, id=name) for name, prompt in zip(names, prompts, strict=True)),
            id="picker-options",
        )
        # Set here, not on mount: a `q` typed right after `t` (a paste, a slow link) unmounts the
        # screen before its on_mount could find the list.
        options.highlighted = names.index(self.current) if self.current in names else 0
        with Vertical(id="picker-box"):
            yield Label("Switch target")
            yield options

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
