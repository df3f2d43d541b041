"""A keyed DataTable updated cell by cell, whose columns follow the terminal's width.

Rows are never rebuilt on refresh (a rebuild relayouts and repaints everything: slow for big
tables, and bytes over SSH); under ``WIDE`` columns only the priority columns are shown. The
order of the rows given is the order shown, and the cursor stays on its row (by key) when rows
above it come, go or move: an operator about to cancel "this session" keeps pointing at it.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

WIDE = 110
Cell = Text | str


class InPlaceTable(DataTable[Cell]):
    """A keyed table whose columns depend on the width; rows are updated cell by cell."""

    # No horizontal scrollbar: at 80 columns most tables are a little wider than the screen, and
    # the scrollbar (an escape sequence per cell) was repainted after every refresh, the larger
    # part of the bytes written at idle. What is cut is one `enter` away (RowDetail).
    DEFAULT_CSS = """
    InPlaceTable { overflow-x: hidden; }
    """

    NARROW: tuple[str, ...] = ()
    WIDE_EXTRA: tuple[str, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._wide: bool | None = None
        self._rows: dict[str, dict[str, Cell]] = {}
        self._built: dict[str, tuple[object, dict[str, Cell]]] = {}  # see cells_of

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

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if self.row_count == 0:
            return None
        value = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return value

    def row_cells(self, key: str) -> list[tuple[str, Cell]]:
        """Every column of row ``key``, the ones too wide for the terminal included."""
        cells = self._rows.get(key, {})
        return [(column, cells[column]) for column in self.NARROW + self.WIDE_EXTRA if column in cells]

    def cells_of(self, key: str, source: object, build: Callable[[], dict[str, Cell]]) -> dict[str, Cell]:
        """Row ``key``'s cells, built from ``source`` (a frozen row) only when it changed.

        An unchanged row then costs neither formatting nor comparing its cells in ``_put``: at a
        1 s refresh most of a statements table is unchanged, and building it was a quarter of
        the pane's CPU (bench/idle_footprint.py).
        """
        kept = self._built.get(key)
        if kept is not None and kept[0] == source:
            return kept[1]
        cells = build()
        self._built[key] = (source, cells)
        return cells

    def _put(self, rows: dict[str, dict[str, Cell]], *, complete: bool = True) -> set[str]:
        """Upsert ``rows`` in their order; when ``complete``, rows not given are removed.

        Returns the columns whose cells changed (every column when a row was added).
        """
        previous = self._rows
        self._rows = rows if complete else {**self._rows, **rows}
        if complete and len(self._built) > len(rows):
            self._built = {key: built for key, built in self._built.items() if key in rows}
        if self._wide is None:
            self.on_resize()
            return set(self._columns())
        selected = self.selected_key()
        if complete:
            for row_key in [k for k in list(self.rows) if k.value not in rows]:
                self.remove_row(row_key)
        existing = {k.value for k in self.rows}
        changed: set[str] = set()
        changed_cells: set[tuple[RowKey, ColumnKey]] = set()
        for key, cells in rows.items():
            if key not in existing:
                self.add_row(*(cells[c] for c in self._columns()), key=key)
                changed.update(self._columns())
                continue
            if previous.get(key) is cells:
                continue  # the same cells as shown (cells_of): nothing to compare
            row_key, data = RowKey(key), self._data[RowKey(key)]
            for column in self._columns():
                column_key = ColumnKey(column)
                if data[column_key] != cells[column]:
                    data[column_key] = cells[column]
                    changed.add(column)
                    changed_cells.add((row_key, column_key))
        self._repaint_cells(changed_cells)
        if complete:
            self._reorder(list(rows))
        if selected is not None and selected in rows:
            index = self.get_row_index(selected)
            if index != self.cursor_row:
                self.move_cursor(row=index, scroll=False)
        return changed

    def _repaint_cells(self, cells: set[tuple[RowKey, ColumnKey]]) -> None:
        """Forget what was drawn for ``cells`` and their rows, and repaint those rows' lines only.

        DataTable.update_cell counts an update that is part of every render cache key, so one
        changed cell (a latency, an age) re-rendered every row of the table on every refresh:
        most of the idle CPU (bench/idle_footprint.py). Here only those cells' and rows' cache
        entries go (Textual is pinned, see pyproject.toml: these caches are DataTable's internals).
        """
        keys = {row_key for row_key, _ in cells}
        if not keys:
            return
        if len(keys) > max(8, len(self._row_locations) // 2):
            self._update_count += 1  # most of a big table changed: DataTable's way, a full repaint
            self.refresh()
            return
        # LRUCache is not iterable: hence keys() (noqa SIM118).
        for cell_key in [k for k in self._cell_render_cache.keys() if k[:2] in cells]:  # noqa: SIM118
            self._cell_render_cache.discard(cell_key)
        for row_key in [k for k in self._row_render_cache.keys() if k[0] in keys]:  # noqa: SIM118
            self._row_render_cache.discard(row_key)
        self._line_cache.clear()  # keyed by screen line; rebuilt from the rows' caches
        for key in keys:
            index = self._row_locations.get(key)
            if index is not None:
                self._row_renderable_cache.discard((self._update_count, index))
                self.refresh_row(index)

    def _reorder(self, wanted: list[str]) -> None:
        """Show rows in ``wanted`` order; a no-op (no repaint) when they already are.

        DataTable.sort can only order by cell values; this sets the same row-location map it
        builds (Textual is pinned, see pyproject.toml).
        """
        locations = self._row_locations
        if all(locations.get_key(index) == key for index, key in enumerate(wanted)):
            return
        by_value = {row_key.value: row_key for row_key in self.rows}
        self._row_locations = TwoWayDict({by_value[key]: index for index, key in enumerate(wanted)})
        self._update_count += 1
        self.refresh()
