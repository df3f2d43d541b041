"""A one-line filter box a pane opens with `/`: hidden until opened, closed by enter or escape."""

from __future__ import annotations

from textual.widgets import Input


class FilterBox(Input):
    DEFAULT_CSS = """
    FilterBox { display: none; height: 1; border: none; padding: 0 1; }
    FilterBox.-open { display: block; }
    """

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, value: str) -> None:
        self.add_class("-open")
        self.value = value
        self.focus()

    def close(self) -> None:
        self.remove_class("-open")
