"""A keyed DataTable updated cell by cell, whose columns follow the terminal's width.

Rows are never rebuilt on refresh (a rebuild relayouts and repaints everything: slow for big
tables, and bytes over SSH); under ``WIDE`` columns only the priority columns are shown. The
order of the rows given is the order shown, and the cursor stays on its row (by key) when rows
above it come, go or move: an operator about to cancel "this session" keeps pointing at it.
Cells are shown as they are: DataTable parses a str cell as markup, and cells hold what servers,
stores and files said (``widgets.verbatim.safe_cell`` is applied to every cell handed to it).
The column the rows are sorted by (``sort_by``) is never hidden, even at 80 columns, and its
header is marked ``▼``: a list sorted by a column one cannot see reads as unsorted.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from widgets.verbatim import safe_cell

WIDE = 110
Cell = Text | str
SORT_MARK = "▼"  # after the header of the column the rows are sorted by (largest first)


class InPlaceTable(DataTable[Cell]):
    """A keyed table whose columns depend on the width; rows are updated cell by cell."""

    # No horizontal scrollbar: at 80 columns most tables are a little wider than the screen, and
    # the scrollbar (an escape sequence per cell) would be repainted after every refresh, bytes
    # over SSH for nothing at idle. What is cut is one `enter` away (RowDetail).
    DEFAULT_CSS = """
    InPlaceTable { overflow-x: hidden; }
    """

    NARROW: tuple[str, ...] = ()
    WIDE_EXTRA: tuple[str, ...] = ()
    # Facts too long for any table, shown whole only in the row's detail (enter): a tool's path.
    DETAIL_ONLY: tuple[str, ...] = ()
    SORTED_BY: str | None = None  # the column the rows come sorted by, unless sort_by says another

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._wide: bool | None = None
        self._sorted_by = self.SORTED_BY
        self._shown: tuple[str, ...] | None = None  # the columns as built, sort mark included
        self._rows: dict[str, dict[str, Cell]] = {}
        self._built: dict[str, tuple[object, dict[str, Cell]]] = {}  # see cells_of
        self._order: list[str] = []  # the keys in the order the table shows them

    def _columns(self) -> tuple[str, ...]:
        columns = self.NARROW + (self.WIDE_EXTRA if self._wide else ())
        sort = self._sorted_by
        if sort is not None and sort not in columns:
            # Shown at any width: before the last narrow column (the one wide text, cut anyway).
            columns = (*self.NARROW[:-1], sort, *self.NARROW[-1:], *columns[len(self.NARROW) :])
        return columns

    def sort_by(self, column: str | None) -> None:
        """Say which column the rows are sorted by: shown, and marked in its header."""
        if column != self._sorted_by:
            self._sorted_by = column
            if self._shown is not None:  # built already: again, with the new column and mark
                self._fit_columns()

    def on_mount(self) -> None:
        # The columns now, from the terminal's width, so the first frame has them: the first
        # Resize comes after the first paint, and columns left to it would be drawn a frame later,
        # whenever the event loop is next free.
        self._fit_columns()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        self._wide = self.app.size.width >= WIDE
        shown = (*self._columns(), self._sorted_by or "")
        if shown != self._shown:
            self._shown = shown
            selected = self.selected_key()
            self.clear(columns=True)
            for column in self._columns():
                label = column.upper() + (f" {SORT_MARK}" if column == self._sorted_by else "")
                self.add_column(label, key=column)
            for key, cells in self._rows.items():
                self.add_row(*(safe_cell(cells[c]) for c in self._columns()), key=key)
            self._order = list(self._rows)
            if selected is not None and selected in self._rows:  # the cursor stays on its row
                self.move_cursor(row=self.get_row_index(selected), scroll=False)

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if self.row_count == 0:
            return None
        value = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return value

    def row_cells(self, key: str) -> list[tuple[str, Cell]]:
        """Every column of row ``key``, the ones too wide for the terminal included."""
        cells = self._rows.get(key, {})
        every = self.NARROW + self.WIDE_EXTRA + self.DETAIL_ONLY
        return [(column, cells[column]) for column in every if column in cells]

    def cells_of(self, key: str, source: object, build: Callable[[], dict[str, Cell]]) -> dict[str, Cell]:
        """Row ``key``'s cells, built from ``source`` (a frozen row) only when it changed.

        An unchanged row then costs neither formatting nor comparing its cells in ``_put``: at a
        1 s refresh most of a statements table is unchanged, and an idle pane must not build it
        again (bench/idle_footprint.py).
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
            self._fit_columns()
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
                self.add_row(*(safe_cell(cells[c]) for c in self._columns()), key=key)
                changed.update(self._columns())
                continue
            if previous.get(key) is cells:
                continue  # the same cells as shown (cells_of): nothing to compare
            row_key, data = RowKey(key), self._data[RowKey(key)]
            for column in self._columns():
                column_key, cell = ColumnKey(column), safe_cell(cells[column])
                if data[column_key] != cell:
                    data[column_key] = cell
                    changed.add(column)
                    changed_cells.add((row_key, column_key))
        self._repaint_cells(changed_cells)
        order = list(self._rows)
        if complete and order != self._order:  # a list compare: most refreshes reorder nothing
            self._reorder(order)
        self._order = order  # rows added at the end, or removed, or reordered: as shown now
        if selected is not None and selected in rows:
            index = self.get_row_index(selected)
            if index != self.cursor_row:
                self.move_cursor(row=index, scroll=False)
        return changed

    def _repaint_cells(self, cells: set[tuple[RowKey, ColumnKey]]) -> None:
        """Forget what was drawn for ``cells`` and their rows, and repaint those rows' lines only.

        DataTable.update_cell counts an update that is part of every render cache key, so one
        changed cell (a latency, an age) would re-render every row of the table on every refresh
        (bench/idle_footprint.py). Here only those cells' and rows' cache
        entries go (Textual is pinned, see pyproject.toml: these caches are DataTable's internals).
        """
        keys = {row_key for row_key, _ in cells}
        if not keys:
            return
        if len(keys) > max(8, len(self._row_locations) // 2):
            self._repaint_all()  # most of a big table changed: DataTable's way
            return
        self._forget(keys, cells)
        self._line_cache.clear()  # keyed by screen line; rebuilt from the rows' caches
        for key in keys:
            index = self._row_locations.get(key)
            if index is not None:
                self._row_renderable_cache.discard((self._update_count, index))
                self.refresh_row(index)

    def _repaint_all(self) -> None:
        """Every row drawn afresh: a new update count (in every render cache key), then a repaint."""
        self._update_count += 1
        self.refresh()

    def _forget(self, rows: set[RowKey], cells: set[tuple[RowKey, ColumnKey]] | None = None) -> None:
        """Drop the rendered rows ``rows`` (and the cells ``cells``, every cell of ``rows`` when
        None) from DataTable's render caches, and the entries of earlier update counts (never hit
        again, they only made these scans longer)."""
        count = self._update_count
        # LRUCache is not iterable: hence keys() (noqa SIM118). Cell keys: (row, column, ...,
        # update count at 6, ...); row keys: (row, line, ..., update count at 8, ...).
        for cell_key in [
            k
            for k in self._cell_render_cache.keys()  # noqa: SIM118
            if k[6] != count or (k[0] in rows if cells is None else k[:2] in cells)
        ]:
            self._cell_render_cache.discard(cell_key)
        for row_key in [
            k
            for k in self._row_render_cache.keys()  # noqa: SIM118
            if k[8] != count or k[0] in rows
        ]:
            self._row_render_cache.discard(row_key)

    def _visible_rows(self) -> set[RowKey]:
        """The rows in the table's window, by DataTable's line-to-row map (header excluded)."""
        offsets = self._y_offsets
        top = self.scroll_offset.y
        height = self.size.height - (self.header_height if self.show_header else 0)
        return {offsets[y][0] for y in range(top, min(top + max(height, 0), len(offsets)))}

    def _reorder(self, wanted: list[str]) -> None:
        """Show rows in ``wanted`` order; a no-op (no repaint) when they already are.

        DataTable.sort can only order by cell values; this sets the same row-location map it
        builds (Textual is pinned, see pyproject.toml). Only the rows whose place changed and
        that are in the window are repainted: a statement climbing one place repaints two lines,
        not the table, and a reorder below the window repaints nothing: no repaint for a reorder
        no one can see (bench/idle_footprint.py).
        """
        locations = self._row_locations
        moved = {
            index: key
            for index, key in enumerate(wanted)
            if getattr(locations.get_key(index), "value", None) != key
        }
        if not moved:
            return
        by_value = {row_key.value: row_key for row_key in self.rows}
        self._row_locations = TwoWayDict({by_value[key]: index for index, key in enumerate(wanted)})
        # What maps lines and indexes to rows, for this update count: built again on demand.
        self._offset_cache.clear()
        self._ordered_row_cache.clear()
        self._row_renderable_cache.clear()
        self._line_cache.clear()
        moved_keys = {by_value[key] for key in moved.values()}
        visible = self._visible_rows()
        shown = moved_keys & visible  # a row moved out of the window: another moved into its line
        if len(shown) > max(8, len(visible) // 2):
            self._repaint_all()
            return
        # A moved row's rendering holds its old index (click metadata, cursor, zebra stripes).
        self._forget(moved_keys)
        for index, key in moved.items():
            if by_value[key] in shown:
                self.refresh_row(index)
