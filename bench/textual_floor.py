"""The floor under the cockpit's first frame and footprint: a bare Textual app.

    python bench/textual_floor.py

A static line and a 10-row DataTable whose header says SEVERITY (the marker bench/first_frame.py
waits for), one cell updated every second. No cockpit module, no database driver, no HTTP client:
what any Textual app pays on this machine before it does anything of its own. bench/first_frame.py
runs it beside ops-cockpit and pg_activity.
"""

from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static


class TextualFloor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a bare Textual app")
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("SEVERITY", "CHECK", "DETAIL")
        for row in range(10):
            table.add_row("ok", f"check {row}", "fine")
        self.set_interval(1, self.tick)

    def tick(self) -> None:
        self.query_one(DataTable).update_cell_at((0, 2), f"{time.time():.0f}")


if __name__ == "__main__":
    TextualFloor().run()
