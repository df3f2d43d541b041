"""A keyed DataTable updated cell by cell, whose columns follow the terminal's width.

Rows are never rebuilt on refresh (a rebuild relayouts and repaints everything: slow for big
tables, and bytes over SSH); under ``WIDE`` columns only the priority columns are shown.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

WIDE = 110
Cell = Text | str


class InPlaceTable(DataTable[Cell]):
    """A keyed table whose columns depend on the width; rows are updated cell by cell."""

    NARROW: tuple[str, ...] = ()
    WIDE_EXTRA: tuple[str, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._wide: bool | None = None
        self._rows: dict[str, dict[str, Cell]] = {}

    def _columns(self) -> tuple[str, ...]:
        return self.NARROW + (self.WIDE_EXTRA if self._wide else ())

    def on_resize(self) -> None:
        wide = self.app.size.width >= WIDE
        if wide != self._wide:
            self._wide = wide
            self.clear(columns=True)
            for column in self._columns():
                self.add_column(column.upper(), key=column)
            for key, cells in self._rows.items():
                self.add_row(*(cells[c] for c in self._columns()), key=key)

    def _put(self, rows: dict[str, dict[str, Cell]], *, complete: bool = True) -> set[str]:
        """Upsert ``rows``; when ``complete``, rows not given are removed.

        Returns the columns whose cells changed (every column when a row was added), so a
        subclass can tell whether its order may have changed.
        """
        self._rows = rows if complete else {**self._rows, **rows}
        if self._wide is None:
            self.on_resize()
            return set(self._columns())
        if complete:
            for row_key in [k for k in list(self.rows) if k.value not in rows]:
                self.remove_row(row_key)
        existing = {k.value for k in self.rows}
        changed: set[str] = set()
        for key, cells in rows.items():
            if key not in existing:
                self.add_row(*(cells[c] for c in self._columns()), key=key)
                changed.update(self._columns())
                continue
            for column in self._columns():
                if self.get_cell(key, column) != cells[column]:
                    self.update_cell(key, column, cells[column])
                    changed.add(column)
        return changed
