"""The pane tables' base on KeyedTable: columns declared by name, rows put by key.

A pane's table declares its columns (``NARROW``, ``WIDE_EXTRA``, ``DETAIL_ONLY``,
``SORTED_BY``) and hands its rows with ``put_rows``; here they become KeyedTable's columns with
priorities. The narrow columns are kept before any wide one (the first wide one kept longest);
``FLEX`` is the one text that takes the rest of the width (the last narrow column unless said):
the other narrow columns stay while it shrinks, a wide column shows only while it keeps its
width. The column the rows are sorted by is never hidden, stands with the narrow ones and is
marked ``▼`` in its header: a list sorted by a column one cannot see reads as unsorted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from widgets.keyed_table import Cell, Column, DeferredRow, KeyedTable, RowsPlan

SORT_MARK = "▼"  # after the header of the column the rows are sorted by (largest first)
SORTED, NARROW, WIDE = 300, 200, 100  # priorities: the sort column, narrow, then wide ones
# The flex text's natural width: a wide column shows only when the flex one keeps this much
# (or its widest cell): at 80 columns a statement's text before its temp blocks.
FLEX_WIDTH = 60


@dataclass(frozen=True)
class DeferredPlan:
    """A table's deferred rows made from new sources, and how they compare with those shown."""

    judged: object
    rows: dict[str, DeferredRow]
    table: RowsPlan


class PaneTable(KeyedTable):
    """A pane's keyed table: columns as declared, rows put by key in the order shown."""

    NARROW: ClassVar[tuple[str, ...]] = ()
    WIDE_EXTRA: ClassVar[tuple[str, ...]] = ()
    # Facts too long for any table, shown whole only in the row's detail (enter): a tool's path.
    DETAIL_ONLY: ClassVar[tuple[str, ...]] = ()
    SORTED_BY: ClassVar[str | None] = None  # the column the rows come sorted by
    FLEX: ClassVar[str | None] = None  # the wide text column; the last narrow one if None
    # Fixed widths (at least the header's): such columns are not measured, so a table whose other
    # columns come in DeferredRow.measured may hand in deferred rows (built when drawn).
    WIDTHS: ClassVar[Mapping[str, int]] = {}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        self.sorted_by = self.SORTED_BY
        super().__init__(self.declared_columns(), id=id, classes=classes)
        self.built: dict[str, tuple[object, dict[str, Cell]]] = {}  # see cells_of
        self.deferred: dict[str, DeferredRow] = {}  # the rows put_deferred made, by key
        self.judged: object = None  # see put_deferred

    def declared_columns(self) -> list[Column]:
        narrow, sort = list(self.NARROW), self.sorted_by
        flex = self.FLEX or (self.NARROW[-1] if self.NARROW else None)
        if sort is not None and sort not in narrow:
            # With the narrow ones: before the wide text, unless that is the row's name (first).
            at = narrow.index(flex) if flex in narrow[1:] else max(len(narrow) - 1, 0)
            narrow.insert(at, sort)
        keys = narrow + [c for c in self.WIDE_EXTRA if c not in narrow]
        columns = []
        for index, key in enumerate(keys):
            if key == sort:
                priority = SORTED
            elif key == flex and key in narrow:
                # Below the other narrow columns: they are kept while the text shrinks to the
                # table's minimum; above the wide ones, which show only when it keeps its width.
                priority = NARROW
            elif key in narrow:
                priority = NARROW + len(keys) - index
            else:
                priority = WIDE + len(keys) - index
            label = key.upper() + (f" {SORT_MARK}" if key == sort else "")
            cap = FLEX_WIDTH if key == flex else Column.max_width
            fixed = self.WIDTHS.get(key)
            width = None if fixed is None else max(fixed, len(label))
            columns.append(
                Column(key, label, priority=priority, max_width=cap, flex=key == flex, width=width)
            )
        return columns

    def sort_by(self, column: str | None) -> None:
        """Say which column the rows are sorted by: shown, and marked in its header."""
        if column != self.sorted_by:
            self.sorted_by = column
            self.set_columns(self.declared_columns())

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        return self.cursor_key

    def row_cells(self, key: str) -> list[tuple[str, Cell]]:
        """Every column of row ``key``, the ones too wide for the terminal included."""
        cells = self.model.cells(key) or {}
        every = self.NARROW + self.WIDE_EXTRA + self.DETAIL_ONLY
        if self.sorted_by is not None and self.sorted_by not in every:
            every = (*every, self.sorted_by)
        return [(column, cells[column]) for column in every if column in cells]

    def cells_of(self, key: str, source: object, build: Callable[[], dict[str, Cell]]) -> dict[str, Cell]:
        """Row ``key``'s cells, built from ``source`` (a frozen row) only when it changed: an
        unchanged row is then the same mapping as shown, and costs no compare in put_rows."""
        kept = self.built.get(key)
        if kept is not None and kept[0] == source:
            return kept[1]
        cells = build()
        self.built[key] = (source, cells)
        return cells

    def put_deferred(self, sources: Mapping[str, object], judged: object) -> set[str]:
        """The complete table, in order, as deferred rows: ``deferred_cells(source)`` builds a
        row's cells when it is drawn, ``measured_cells(source)`` gives the ones measured now.

        ``judged``: what the built cells depend on besides the source (the time the ages are
        counted to, the thresholds), kept in ``self.judged`` for ``deferred_cells``. A row whose
        source is unchanged is the same row as shown: no cell formatted, no line rendered. When
        ``judged`` changes, only the rows already built (the ones drawn) are made again.
        """
        return self.put_planned(self.plan_deferred(sources, judged))

    def plan_deferred(self, sources: Mapping[str, object], judged: object) -> DeferredPlan:
        """``put_deferred``'s work, done without changing the table: safe on a worker thread
        (the Bloat pane plans its 30,000 rows there); ``put_planned`` then shows the plan."""
        deferred = self.deferred
        if judged != self.judged:
            deferred = {key: row for key, row in deferred.items() if not row.built}
        build, measure, measured_key = self.deferred_cells, self.measured_cells, self.measured_key
        rows: dict[str, DeferredRow] = {}
        for key, source in sources.items():
            row = deferred.get(key)
            if row is None or not (row.source is source or row.source == source):
                # A row whose figures moved and whose name did not keeps its measured cells.
                same_name = row is not None and measured_key(row.source) == measured_key(source)
                measured = row.measured if row is not None and same_name else measure(source)
                row = DeferredRow(source, build, measured)
            rows[key] = row
        return DeferredPlan(judged, rows, self.plan_rows(rows))

    def put_planned(self, plan: DeferredPlan) -> set[str]:
        """Show a ``plan_deferred`` plan (on the event loop). Returns the keys that changed."""
        self.judged, self.deferred = plan.judged, plan.rows
        if self.built:
            self.built = {key: built for key, built in self.built.items() if key in plan.rows}
        return self.set_planned(plan.table)

    def deferred_cells(self, source: Any) -> Mapping[str, Cell]:
        """A deferred row's cells (see put_deferred); the tables that defer their rows say how."""
        raise NotImplementedError(type(self).__name__)

    def measured_cells(self, source: Any) -> Mapping[str, Cell]:
        """The cells of a deferred row's columns that have no fixed width (see WIDTHS)."""
        raise NotImplementedError(type(self).__name__)

    def measured_key(self, source: Any) -> object:
        """What ``measured_cells(source)`` depends on: while it is the same, a changed source
        keeps its row's measured cells. By default the whole source (measured again)."""
        return source

    def put_rows(self, rows: Mapping[str, Mapping[str, Cell]], *, complete: bool = True) -> set[str]:
        """Show ``rows``, in order. ``complete``: the whole table, rows not given go; else only
        the rows that changed, kept in their places (new ones at the end). Returns the keys that
        changed."""
        if not complete:
            model = self.model
            merged: dict[str, Mapping[str, Cell]] = {
                key: rows[key] if key in rows else model.cells(key) or {} for key in model.order
            }
            merged.update((key, cells) for key, cells in rows.items() if key not in merged)
            rows = merged
        if len(self.built) > len(rows):
            self.built = {key: built for key, built in self.built.items() if key in rows}
        return self.set_rows(rows)
