"""A keyed table drawn line by line, each row's line kept until that row's cells change.

Why not DataTable: its render caches are keyed on an update counter that any change bumps, and
a focus change drops them, so one changed cell, a view switch or a focus move redraws every row
on screen, and its rows live in private structures that widgets/in_place_table.py has to write
by tuple position (issue 25). This table is built on Textual's Line API (``ScrollView`` and
``render_line`` returning ``Strip``) and public Textual API only: no attribute of Textual's
whose name starts with ``_`` is read, written or defined here (tests/ui/test_keyed_table.py
reads this file's syntax tree to hold it to that).

The rules it keeps:

* Rows are keyed (``str``) and shown in the order given; sorting and filtering are the caller's,
  who hands the rows in the order to show. A row whose cells are equal to what is shown (the
  same text in the same style) keeps its rendered line, whatever its new place: a reorder
  repaints lines, it renders nothing.
* One rendered line (a ``Strip``) is kept per row, plus the cursor row's variant. A row's line
  is dropped only when its cells change; every line is dropped when the column layout, the width
  or the styles (theme, focus colours) change. Only lines in the window are ever rendered.
* A focus change or being shown again repaints from what is kept: the cursor line is the only
  one whose style depends on focus, so it is the only one rendered again.
* Columns carry a priority: when the width is short, the lowest priority goes first (the last
  declared of equals first). Widths come from the content (header included), capped per column;
  the flex column (the last declared ``flex``, else the last shown) takes the rest of the width,
  and any cell longer than its column is cut with an ellipsis. A column of lower priority than
  the flex column shows only if the flex column keeps its natural (capped) width.
* The cursor is a key: it stays on its row when rows above come, go or move; when its row goes,
  it stays at the same place (on the row that took it). ``enter`` posts ``RowSelected`` with the
  key.
* A row may be deferred (``DeferredRow``): its cells are built from its source only when its
  line is drawn or it is read, so a table of the whole estate formats a screenful. Columns with a
  fixed ``width`` are not measured; the others' cells come with the row (``measured``).
* Cells are ``str | rich.text.Text``, shown verbatim (widgets.verbatim): never parsed as markup,
  control characters written out; a newline or a tab in a cell is shown as a space (a table line
  is one line).
* Colours come from component classes and the widget's own styles, so Textual's theme and
  NO_COLOR apply; under NO_COLOR the focused table's cursor is reverse video and a blurred
  one's underlined (a colour alone would vanish, and two tables on screen must be told apart).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cockpit.visible_text import visible
from widgets.verbatim import as_text

Cell = str | Text
Rows = Mapping[str, Mapping[str, Cell]]

GAP = 1  # a space before every column: the row reads as words, not a run of digits
FLEX_MIN = 12  # the flex column is dropped before it would be narrower than this


@dataclass(frozen=True)
class Column:
    """A column as declared: its key in the rows' cell mappings, its header, and how it fits.

    ``priority``: when the width is short, the lowest goes first (equals: the last declared).
    ``max_width``: content widths are capped here (the flex column is not: it takes the rest).
    ``flex``: this column takes the width left by the others (a query text, a message).
    ``width``: a fixed width; its cells are not measured (a deferred row's need not be built).
    """

    key: str
    label: str
    priority: int = 0
    max_width: int = 30
    flex: bool = False
    justify: Literal["left", "right"] = "left"
    width: int | None = None


class DeferredRow(Mapping[str, Cell]):
    """A row whose cells are built by ``build(source)`` only when read: when its line is
    drawn, or its detail opened. Cells of columns without a fixed width are measured for the
    layout, so they come at once in ``measured`` (a table's name column); the other columns
    must have a ``width``. Equal when the sources are: an unchanged source keeps the row's line.

    Why: a pane's table of 30,000 relations shows a screenful; formatting every row's figures
    on every refresh costs more than the refresh budget (bench/bloat_estimate.py).
    """

    __slots__ = ("_build", "_cells", "measured", "source")

    def __init__(
        self, source: Any, build: Callable[[Any], Mapping[str, Cell]], measured: Mapping[str, Cell]
    ) -> None:
        self.source = source
        self.measured = measured
        self._build = build
        self._cells: Mapping[str, Cell] | None = None

    @property
    def built(self) -> bool:
        """Whether the cells were built (the row was drawn or read)."""
        return self._cells is not None

    def cells(self) -> Mapping[str, Cell]:
        if self._cells is None:
            self._cells = {**self._build(self.source), **self.measured}
        return self._cells

    def __getitem__(self, column: str) -> Cell:
        if column in self.measured:
            return self.measured[column]
        return self.cells()[column]

    def get(self, column: str, default: Cell | None = None) -> Cell | None:  # type: ignore[override]
        """As Mapping.get, without building the row for a measured column (the width count)."""
        measured = self.measured.get(column)
        if measured is not None:
            return measured
        return self.cells().get(column, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.cells())

    def __len__(self) -> int:
        return len(self.cells())

    def __eq__(self, other: object) -> bool:
        if type(other) is DeferredRow:
            return self.source == other.source and self.measured == other.measured
        if other is None or not isinstance(other, Mapping):
            return False
        return dict(self.cells()) == dict(other)

    __hash__ = None  # type: ignore[assignment]  # a Mapping: unhashable, as dict is


@dataclass(frozen=True)
class Layout:
    """The columns shown at a width, and each one's width: what every rendered line depends on."""

    columns: tuple[Column, ...]
    widths: tuple[int, ...]
    width: int


def cell_width(plain: str) -> int:
    """The cells ``plain`` takes once shown verbatim (control characters written out)."""
    if plain.isascii() and plain.isprintable():
        return len(plain)
    return cell_len(visible(plain))


def fit(columns: Sequence[Column], content: Mapping[str, int], width: int) -> Layout:
    """The columns that fit ``width`` and their widths (see the module's rules)."""

    def natural(column: Column) -> int:
        if column.width is not None:
            return column.width
        return min(max(content.get(column.key, 0), cell_len(column.label)), column.max_width)

    shown = list(columns)

    def flex_of(shown: list[Column]) -> Column:
        flexes = [c for c in shown if c.flex]
        return flexes[-1] if flexes else shown[-1]

    def needed(shown: list[Column]) -> int:
        flex = flex_of(shown)
        fixed = sum(natural(c) + GAP for c in shown if c is not flex)
        # A column of lower priority than the flex one is shown only if the flex column keeps its
        # natural width (a table's name is not cut to make room for its heap size); else the
        # flex column may shrink to FLEX_MIN before a column of higher priority goes.
        if any(c.priority < flex.priority for c in shown if c is not flex):
            return fixed + GAP + natural(flex)
        return fixed + GAP + min(FLEX_MIN, max(content.get(flex.key, 0), cell_len(flex.label)))

    while len(shown) > 1 and needed(shown) > width:
        lowest = min(c.priority for c in shown)
        shown.remove([c for c in shown if c.priority == lowest][-1])
    flex = flex_of(shown)
    rest = width - sum(natural(c) + GAP for c in shown if c is not flex) - GAP
    # The flex column takes the rest, but no more than its widest cell: the space left over is
    # after the last column, not a gap between a name and its figures.
    widest = max(content.get(flex.key, 0), cell_len(flex.label))
    widths = tuple(max(min(rest, widest), 1) if c is flex else natural(c) for c in shown)
    return Layout(tuple(shown), widths, width)


def same_cells(before: Mapping[str, Cell], cells: Mapping[str, Cell]) -> bool:
    """Whether a row's new cells show as its old ones do, so that its kept line stays.

    rich's Text compares its text and spans but not its style: the same figure turned red (a
    threshold crossed) would compare equal and keep the green line. A deferred row is the same
    when its source is (its cells are made from it).
    """
    if before is cells:
        return True
    if before != cells:
        return False
    if type(cells) is DeferredRow:
        return True
    for column, value in cells.items():
        if type(value) is Text and value.style != cast(Text, before[column]).style:
            return False
    return True


@dataclass(frozen=True)
class RowsPlan:
    """A new set of rows compared with the rows shown (``TableModel.plan_rows``): what changed,
    and the width counts to add and take away. Applied only onto the rows it was made from
    (``base``, the model's version then); made again otherwise."""

    base: int  # the model's version it was made from
    columns: tuple[Column, ...]
    rows: dict[str, Mapping[str, Cell]]
    order: list[str]
    changed: set[str]
    gone: set[str]
    added_counts: dict[str, Counter[int]]
    dropped_counts: dict[str, Counter[int]]
    reordered: bool


class TableModel:
    """The rows, their order, the content widths and the rendered lines: no Textual in it.

    Kept apart from the widget so that this state sits on a class of ours, where no name can
    clash with (or be mistaken for) a private attribute of Textual's Widget.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._rows: dict[str, Mapping[str, Cell]] = {}
        # Bumped by every change of the rows or columns: a plan made before one is made again.
        self.version = 0
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        # Per column, how many rows have each (capped) width: the widest is then found among a
        # few dozen widths, and a changed row updates it in O(columns).
        self._widths: dict[str, Counter[int]] = {c.key: Counter() for c in self.columns}
        self._caps = {c.key: c.max_width if not c.flex else 10_000 for c in self.columns}
        self._fixed = {c.key for c in self.columns if c.width is not None}
        self._strips: dict[str, Strip] = {}  # a row's line, not under the cursor
        self._cursor_strip: tuple[str, Style, Strip] | None = None  # the cursor row's, its style
        self._header: Strip | None = None
        self.layout: Layout | None = None
        self._styles: tuple[Style, ...] | None = None
        # The seam tests and the bench read: rows rendered (by key), header renders.
        self.row_renders: Counter[str] = Counter()
        self.header_renders = 0

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Other columns (a sort column shown, a header's mark): widths counted again, every
        line dropped at the next layout."""
        self.columns = tuple(columns)
        self._widths = {c.key: Counter() for c in self.columns}
        self._caps = {c.key: c.max_width if not c.flex else 10_000 for c in self.columns}
        self._fixed = {c.key for c in self.columns if c.width is not None}
        self._count(list(self._rows.values()), +1)
        self.version += 1
        self.layout = None

    # The rows.

    @property
    def order(self) -> Sequence[str]:
        """The keys in the order shown."""
        return self._order

    def index_of(self, key: str) -> int | None:
        return self._index.get(key)

    def cells(self, key: str) -> Mapping[str, Cell] | None:
        return self._rows.get(key)

    def _counts(self, rows: Sequence[Mapping[str, Cell]]) -> dict[str, Counter[int]]:
        """Per measured column, how many of ``rows``' cells have each (capped) width.

        Column by column, so that a column whose cells are all printable ASCII (the usual case,
        told by one check of their joined text) is measured by ``len`` in C: a first show of
        30,000 rows measures 180,000 cells. Reads only the column declarations: a plan (see
        ``plan_rows``) may count on another thread.
        """
        counted: dict[str, Counter[int]] = {}
        if not rows:
            return counted
        for key in self._widths:
            if key in self._fixed:
                continue  # not measured: a deferred row is not built for it
            values = [r.get(key, "") for r in rows]
            try:
                joined = "".join(values)  # type: ignore[arg-type]  # a TypeError if a Text is in
                plains = cast(list[str], values)
            except TypeError:
                plains = [value if isinstance(value, str) else value.plain for value in values]
                joined = "".join(plains)
            ascii_only = joined.isascii() and joined.isprintable()
            widths = map(len, plains) if ascii_only else map(cell_width, plains)
            counts = Counter(widths)
            cap = self._caps[key]
            over = sum(n for width, n in counts.items() if width > cap)
            if over:  # capped: a 2,000-character query counts as a cap-wide one
                counts = Counter({width: n for width, n in counts.items() if width <= cap})
                counts[cap] += over
            counted[key] = counts
        return counted

    def _count(self, rows: Sequence[Mapping[str, Cell]], sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) ``rows``' cells from the columns' width counts."""
        self._add_counts(self._counts(rows), sign)

    def _add_counts(self, counts: Mapping[str, Counter[int]], sign: int) -> None:
        for key, counted in counts.items():
            counter = self._widths.get(key)
            if counter is None:
                continue  # counted for columns since replaced (set_columns counts them again)
            if sign > 0:
                counter.update(counted)
            else:
                counter.subtract(counted)

    def content_widths(self) -> dict[str, int]:
        """The widest (capped) cell of each column, over every row."""
        return {
            key: max((w for w, n in counter.items() if n > 0), default=0)
            for key, counter in self._widths.items()
        }

    def plan_rows(self, rows: Rows) -> RowsPlan:
        """What making ``rows`` the table's rows changes, worked out without changing anything:
        the comparisons and width counts, which cost milliseconds per thousand rows, may run on
        a worker thread while the loop goes on drawing; ``apply`` then only assigns.

        A row equal to the one shown (the same mapping, or equal cells) keeps its line.
        """
        version, old = self.version, self._rows
        changed: set[str] = set()
        added: list[Mapping[str, Cell]] = []
        dropped: list[Mapping[str, Cell]] = []
        shown = old.get
        for key, cells in rows.items():
            before = shown(key)
            if before is cells:  # the same row as shown: most of a refresh's rows
                continue
            if before is not None:
                if same_cells(before, cells):
                    continue
                dropped.append(before)
            added.append(cells)
            changed.add(key)
        gone = old.keys() - rows.keys()
        dropped.extend(old[key] for key in gone)
        order = list(rows)
        return RowsPlan(
            base=version,
            columns=self.columns,
            rows=dict(rows),
            order=order,
            changed=changed,
            gone=gone,
            added_counts=self._counts(added),
            dropped_counts=self._counts(dropped),
            reordered=order != self._order,  # a list compare: most refreshes reorder nothing
        )

    def apply(self, plan: RowsPlan) -> tuple[set[str], bool]:
        """Make a plan's rows the table's rows. Returns the keys whose cells changed or that are
        new, and whether the order of the keys changed (rows came, went or moved). A plan made
        before the rows or the columns changed since is made again first (here, on this thread).
        """
        if plan.base != self.version or plan.columns is not self.columns:
            plan = self.plan_rows(plan.rows)
        self.version += 1
        for key in plan.changed:
            self._strips.pop(key, None)
        for key in plan.gone:
            self._strips.pop(key, None)
        self._add_counts(plan.added_counts, +1)
        self._add_counts(plan.dropped_counts, -1)
        self._rows = plan.rows
        if plan.reordered:
            self._order = plan.order
            self._index = {key: i for i, key in enumerate(plan.order)}
        cursor = self._cursor_strip
        if cursor is not None and (cursor[0] in plan.changed or cursor[0] in plan.gone):
            self._cursor_strip = None
        return plan.changed, plan.reordered

    def set_rows(self, rows: Rows) -> tuple[set[str], bool]:
        """Make ``rows`` (in their order) the table's rows: ``apply(plan_rows(rows))``."""
        return self.apply(self.plan_rows(rows))

    def update_row(self, key: str, cells: Mapping[str, Cell]) -> bool:
        """Row ``key`` (which must be shown) now has ``cells``; returns whether they changed."""
        before = self._rows[key]
        if same_cells(before, cells):
            return False
        self._count([before], -1)
        self._count([cells], +1)
        self._rows[key] = cells
        self.version += 1
        self._strips.pop(key, None)
        if self._cursor_strip is not None and self._cursor_strip[0] == key:
            self._cursor_strip = None
        return True

    # The lines.

    def relayout(self, width: int, styles: tuple[Style, ...]) -> bool:
        """Fit the columns to ``width`` with the current content; drop every line if the layout
        or the styles changed. Returns whether they did (the whole window must be repainted)."""
        layout = fit(self.columns, self.content_widths(), width)
        if layout == self.layout and styles == self._styles:
            return False
        self.layout, self._styles = layout, styles
        self._strips.clear()
        self._cursor_strip = None
        self._header = None
        return True

    def header(self, console: Console, style: Style) -> Strip:
        if self._header is None:
            assert self.layout is not None
            self._header = self._render({c.key: c.label for c in self.layout.columns}, console, style)
            self.header_renders += 1
        return self._header

    def line(self, key: str, console: Console, style: Style, cursor: Style | None) -> Strip:
        """Row ``key``'s line, rendered only if not kept (``cursor``: its style under the cursor)."""
        if cursor is not None:
            kept_cursor = self._cursor_strip
            if kept_cursor is not None and kept_cursor[0] == key and kept_cursor[1] == cursor:
                return kept_cursor[2]
            strip = self._render(self._rows[key], console, style + cursor)
            self._cursor_strip = (key, cursor, strip)
        else:
            kept = self._strips.get(key)
            if kept is not None:
                return kept
            strip = self._render(self._rows[key], console, style)
            self._strips[key] = strip
        self.row_renders[key] += 1
        return strip

    def _render(self, cells: Mapping[str, Cell], console: Console, style: Style) -> Strip:
        assert self.layout is not None
        line = Text(style=style, end="", no_wrap=True)
        for column, width in zip(self.layout.columns, self.layout.widths, strict=True):
            text = as_text(cells.get(column.key, ""))
            if "\n" in text.plain or "\t" in text.plain:  # one line per row: its spans go too
                text = Text(text.plain.replace("\n", " ").replace("\t", " "), style=text.style)
            else:
                text = text.copy()  # truncate and pad change a Text in place: not the caller's
            text.truncate(width, overflow="ellipsis")
            text.no_wrap = True
            if column.justify == "right":
                text.pad_left(width - text.cell_len)
            else:
                text.pad_right(width - text.cell_len)
            line.append(" " * GAP)
            line.append_text(text)
        # Every segment styled (a filter such as NO_COLOR's reads each segment's style).
        strip = Strip(line.render(console)).apply_style(style)
        return strip.adjust_cell_length(self.layout.width, style)


class RowMessage(Message):
    """What a table says about one of its rows: the table, and the row's key."""

    def __init__(self, table: KeyedTable, key: str | None) -> None:
        super().__init__()
        self.table = table
        self.key = key

    @property
    def control(self) -> KeyedTable:
        return self.table


class KeyedTable(ScrollView, can_focus=True):
    """A keyed table on the Line API: rows rendered once, kept until their cells change."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyed-table--header", "keyed-table--cursor"}

    # No background change on focus (DataTable tints itself): the background is in every kept
    # line, and a focus change would render them all again. Only the cursor says focus.
    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        overflow-y: auto;
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .keyed-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .keyed-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &:nocolor > .keyed-table--cursor {
            text-style: underline;
        }
        &:nocolor:focus > .keyed-table--cursor {
            text-style: reverse;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    class RowSelected(RowMessage):
        """``enter`` on a row (handler ``on_keyed_table_row_selected``): ``key`` is its key."""

        key: str

    class CursorMoved(RowMessage):
        """The cursor is on another row (handler ``on_keyed_table_cursor_moved``)."""

    def __init__(
        self,
        columns: Sequence[Column] | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = TableModel(self.COLUMNS if columns is None else columns)
        self.cursor_key: str | None = None

    # What the caller hands in.

    def set_rows(self, rows: Rows) -> set[str]:
        """Show ``rows``, in their order: the complete table (rows not given go). Only rows
        whose cells changed are rendered again, and only if in the window. Returns those keys."""
        return self.set_planned(self.model.plan_rows(rows))

    def plan_rows(self, rows: Rows) -> RowsPlan:
        """``rows`` compared with the rows shown, for ``set_planned``: safe to call on a worker
        thread (it reads the table, changes nothing), so that 30,000 rows are compared off the
        event loop."""
        return self.model.plan_rows(rows)

    def set_planned(self, plan: RowsPlan) -> set[str]:
        """Show a plan's rows (``set_rows`` in two halves; on the event loop). A plan made
        before the rows changed since is made again here."""
        cursor_at, shown_before = self.cursor_index, self.model.order
        changed, reordered = self.model.apply(plan)
        order = self.model.order
        if self.cursor_key is None or self.model.index_of(self.cursor_key) is None:
            # Its row went: the one that took its place, if any.
            self.cursor_key = order[min(cursor_at or 0, len(order) - 1)] if order else None
        if self.virtual_size.height != len(order) + 1:
            self.virtual_size = Size(self.virtual_size.width, len(order) + 1)
        if self.layout_changed():
            self.refresh()
        else:
            if reordered:
                # Only the window's lines whose row is another now are repainted, from kept
                # lines: a row climbing one place repaints two lines, a reorder below none.
                top = self.scroll_offset.y
                for index in range(top, top + max(self.size.height - 1, 0)):
                    before = shown_before[index] if index < len(shown_before) else None
                    if (order[index] if index < len(order) else None) != before:
                        self.refresh(Region(0, index - top + 1, self.size.width, 1))
            if len(changed) >= self.size.height:  # a screenful or more: one repaint
                self.refresh()
            else:
                for key in changed:
                    self.refresh_row(key)
        if self.cursor_index != cursor_at:
            self.scroll_to_cursor()
        return changed

    def update_cell(self, key: str, column: str, value: Cell) -> None:
        """One cell of an existing row changed: only that row is rendered again."""
        cells = self.model.cells(key)
        if cells is None:
            raise KeyError(key)
        if self.model.update_row(key, {**cells, column: value}):
            if self.layout_changed():  # the cell widened (or narrowed) its column
                self.refresh()
            else:
                self.refresh_row(key)

    def clear(self) -> None:
        self.set_rows({})

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Show ``columns`` from now on (every line is rendered again)."""
        self.model.set_columns(columns)
        self.layout_changed()
        self.refresh()

    # What the caller reads.

    @property
    def row_count(self) -> int:
        return len(self.model.order)

    @property
    def row_keys(self) -> Sequence[str]:
        """The keys in the order shown."""
        return self.model.order

    def row_index(self, key: str) -> int:
        """Where row ``key`` is (KeyError if it is not shown)."""
        index = self.model.index_of(key)
        if index is None:
            raise KeyError(key)
        return index

    def cell(self, key: str, column: str) -> Cell:
        """Row ``key``'s cell in ``column``, as handed in."""
        cells = self.model.cells(key)
        if cells is None:
            raise KeyError(key)
        return cells[column]

    @property
    def cursor_index(self) -> int | None:
        return None if self.cursor_key is None else self.model.index_of(self.cursor_key)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns the width has room for, as laid out."""
        self.layout_changed()
        layout = self.model.layout
        return () if layout is None else tuple(c.key for c in layout.columns)

    @property
    def row_renders(self) -> Counter[str]:
        """How many times each row's line was rendered (kept lines reused are not counted): the
        seam the tests and bench/table_widget.py use to see what a change cost."""
        return self.model.row_renders

    # Drawing.

    def styles_key(self) -> tuple[Style, ...]:
        """Every style a kept line may hold; when one changes (theme, focus), lines go."""
        return (self.rich_style, self.get_component_rich_style("keyed-table--header"))

    def cursor_style(self) -> Style:
        # The whole style, not the partial one: a cursor background with alpha (the blurred
        # cursor's) is blended over the table's background only in the whole style.
        return self.get_component_rich_style("keyed-table--cursor")

    def layout_changed(self) -> bool:
        """Fit the columns to the width now (and drop kept lines if the fit or styles moved)."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return False
        changed = self.model.relayout(width, self.styles_key())
        if changed and self.virtual_size.width != width:
            self.virtual_size = Size(width, len(self.model.order) + 1)
        return changed

    def render_lines(self, crop: Region) -> list[Strip]:
        self.layout_changed()  # styles and width as they are for this frame
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the window: the header at 0 (it does not scroll), then the rows."""
        layout = self.model.layout
        if layout is None:
            return Strip.blank(self.size.width, self.rich_style)
        console = self.app.console
        base = self.rich_style
        if y == 0:
            return self.model.header(console, base + self.get_component_rich_style("keyed-table--header"))
        index = y - 1 + self.scroll_offset.y
        order = self.model.order
        if index >= len(order):
            return Strip.blank(layout.width, base)
        key = order[index]
        cursor = self.cursor_style() if key == self.cursor_key else None
        return self.model.line(key, console, base, cursor)

    def refresh_row(self, key: str) -> None:
        """Repaint row ``key``'s line if it is in the window (its kept line is used if any)."""
        index = self.model.index_of(key)
        if index is None:
            return
        top = self.scroll_offset.y
        if top <= index < top + self.size.height - 1:
            self.refresh(Region(0, index - top + 1, self.size.width, 1))

    def on_focus(self) -> None:
        if self.cursor_key is not None:
            self.refresh_row(self.cursor_key)

    def on_blur(self) -> None:
        if self.cursor_key is not None:
            self.refresh_row(self.cursor_key)

    # The cursor.

    def move_cursor_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped) and scroll it into the window."""
        order = self.model.order
        if not order:
            return
        key = order[max(0, min(index, len(order) - 1))]
        if key == self.cursor_key:
            return
        before = self.cursor_key
        self.cursor_key = key
        if before is not None:
            self.refresh_row(before)
        self.scroll_to_cursor()
        self.refresh_row(key)
        self.post_message(self.CursorMoved(self, key))

    def scroll_to_cursor(self) -> None:
        index = self.cursor_index
        if index is None:
            return
        rows_shown = max(self.size.height - 1, 1)
        top = self.scroll_offset.y
        # force: before the first layout the scrollbar is not there yet, and a scroll that
        # waits for it would leave the cursor out of the window (a key pressed at once).
        if index < top:
            self.scroll_to(y=index, animate=False, force=True, immediate=True)
        elif index >= top + rows_shown:
            self.scroll_to(y=index - rows_shown + 1, animate=False, force=True, immediate=True)

    def page(self) -> int:
        return max(self.size.height - 2, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor_to((self.cursor_index or 0) - 1)

    def action_cursor_down(self) -> None:
        index = self.cursor_index
        self.move_cursor_to(0 if index is None else index + 1)

    def action_page_up(self) -> None:
        self.move_cursor_to((self.cursor_index or 0) - self.page())

    def action_page_down(self) -> None:
        self.move_cursor_to((self.cursor_index or 0) + self.page())

    def action_first(self) -> None:
        self.move_cursor_to(0)

    def action_last(self) -> None:
        self.move_cursor_to(len(self.model.order) - 1)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.RowSelected(self, self.cursor_key))
