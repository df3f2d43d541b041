"""``enter`` on a table row: every column of it, whole, whatever the terminal's width.

At 80 columns tables keep their priority columns and cut long cells; this is the detail on
demand for any row that has no richer view of its own (a statement has StatementDetail).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.keyed_table import Cell
from widgets.verbatim import as_text, verbatim


class RowDetail(ModalScreen[None]):
    """A row's columns, one per line, values wrapped; read-only (it offers no action)."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    DEFAULT_CSS = """
    RowDetail { align: center middle; }
    RowDetail > VerticalScroll {
        width: 100%; max-width: 140; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, title: str, cells: Sequence[tuple[str, Cell]]) -> None:
        super().__init__()
        self.title_text = title
        self.cells = list(cells)

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in self.cells:
            grid.add_row(label.upper(), as_text(value))  # what the server said, as it is
        with VerticalScroll() as box:
            box.border_title = verbatim(self.title_text)  # a str title would be parsed as markup
            box.border_subtitle = "esc: close"
            yield Static(grid, id="row-detail-cells")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
