"""What a pane shows when its target lacks the config it needs: the key to add, and an example."""

from __future__ import annotations

from textual.widgets import Static

from cockpit.visible_text import visible
from widgets.verbatim import verbatim


class NotConfigured(Static):
    """A passive notice: ``what`` is missing, ``example`` is TOML to paste into the config."""

    DEFAULT_CSS = """
    NotConfigured {
        padding: 1 2;
        color: $text-muted;
    }
    """

    def __init__(self, what: str, config_key: str, example: str, **kwargs: object) -> None:
        self.what = what
        self.config_key = config_key
        from rich.console import Group
        from rich.syntax import Syntax
        from rich.text import Text

        body = Group(
            Text.assemble(("not configured: ", "bold"), what),
            verbatim(f"add [{config_key}] to the config file, for example:"),  # names the target
            Syntax(visible(example.strip()), "toml", theme="ansi_dark", background_color="default"),
        )
        super().__init__(body, **kwargs)  # type: ignore[arg-type]
