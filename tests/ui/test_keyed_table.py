"""KeyedTable: rows keyed and kept, a changed row rendered again alone, the cursor on its key.

What each line cost is read from ``KeyedTable.row_renders`` (how many times each row's line was
rendered: a kept line reused is not counted); what is on screen from the table's own
``render_line``. No mocking of Textual, and no private attribute of it (the widget's module is
checked for that too, from its syntax tree).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher

from widgets.keyed_table import Column, KeyedTable
from widgets.pane_table import PaneTable

COLUMNS = (
    Column("pid", "PID", priority=9, justify="right"),
    Column("user", "USER", priority=5),
    Column("state", "STATE", priority=7),
    Column("application", "APPLICATION", priority=1),
    Column("client", "CLIENT", priority=2),
    Column("query", "QUERY", priority=8, flex=True),
)


def session(
    pid: int, query: str | Text = "SELECT 1", state: str = "active", user: str = "app"
) -> dict[str, str | Text]:
    return {
        "pid": str(pid),
        "user": user,
        "state": state,
        "application": "worker",
        "client": "10.0.0.7",
        "query": query,
    }


def rows(*pids: int) -> dict[str, dict[str, str | Text]]:
    return {str(pid): session(pid) for pid in pids}


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="table")

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        self.selected.append(event.key)


async def settled(pilot: Pilot[None], table: KeyedTable) -> None:
    """Until a frame renders nothing of ``table``'s: the focus and its styles applied."""
    for _ in range(20):
        before = table.row_renders.total()
        await pilot.pause()
        if table.row_renders.total() == before and table.has_focus:
            return
    raise AssertionError("the table kept rendering")


def lines(table: KeyedTable) -> list[str]:
    """The table as drawn: header first, then the rows in the window."""
    return [table.render_line(y).text for y in range(table.size.height)]


def row_line(table: KeyedTable, pid: int) -> str:
    return next(line for line in lines(table)[1:] if line.split()[:1] == [str(pid)])


async def test_rows_are_shown_in_order_and_updated_in_place() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(101, 102, 103))
        await pilot.pause()
        shown = lines(table)
        assert shown[0].split() == ["PID", "USER", "STATE", "APPLICATION", "CLIENT", "QUERY"]
        assert [line.split()[0] for line in shown[1:4]] == ["101", "102", "103"]
        table.update_cell("102", "state", "idle in transaction")
        await pilot.pause()
        assert "idle in transaction" in row_line(table, 102)
        assert "idle in transaction" not in row_line(table, 101)


async def test_one_changed_cell_renders_that_row_again_and_no_other() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(*range(100, 130)))
        await pilot.pause()
        assert table.row_renders.total() == 23  # only the lines in the window: 24 less the header
        table.row_renders.clear()
        every = rows(*range(100, 130))
        every["103"] = session(103, state="idle")
        table.set_rows(every)  # the complete table again, one cell changed
        await pilot.pause()
        assert dict(table.row_renders) == {"103": 1}
        table.row_renders.clear()
        table.update_cell("105", "query", "SELECT 2")
        await pilot.pause()
        assert dict(table.row_renders) == {"105": 1}
        assert "SELECT 2" in row_line(table, 105)
        table.row_renders.clear()
        table.update_cell("129", "query", "SELECT 3")  # below the window: nothing rendered now
        await pilot.pause()
        assert table.row_renders.total() == 0


async def test_a_cell_whose_colour_alone_changed_renders_its_row_again() -> None:
    """rich's Text compares its text and spans, not its style: a figure that crosses a threshold
    and turns red with the same digits is another cell, not the kept green line."""
    app = TableApp()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows({"101": session(101, query=Text("SELECT 1", style="green"))})
        await pilot.pause()
        table.row_renders.clear()
        changed = table.set_rows({"101": session(101, query=Text("SELECT 1", style="red"))})
        await pilot.pause()
        assert changed == {"101"} and dict(table.row_renders) == {"101": 1}
        colours = {
            seg.style.color.name
            for seg in table.render_line(1)
            if "SELECT" in seg.text and seg.style and seg.style.color
        }
        assert colours == {"red"}
        table.row_renders.clear()
        assert table.set_rows({"101": session(101, query=Text("SELECT 1", style="red"))}) == set()
        table.update_cell("101", "query", Text("SELECT 1", style="bold red"))
        await pilot.pause()
        assert dict(table.row_renders) == {"101": 1}


async def test_a_reorder_a_focus_change_and_a_view_switch_render_no_row_again() -> None:
    """Sorting is the caller's, and moves kept lines; a focus change renders the cursor's line
    only (its style says focus); a view switch and back renders nothing."""

    class Switched(App[None]):
        def compose(self) -> ComposeResult:
            with ContentSwitcher(initial="a"):
                yield KeyedTable(COLUMNS, id="a")
                yield KeyedTable(COLUMNS, id="b")

    app = Switched()
    async with app.run_test(size=(120, 24)) as pilot:
        a, b = app.query_one("#a", KeyedTable), app.query_one("#b", KeyedTable)
        a.set_rows(rows(*range(100, 110)))
        b.set_rows(rows(*range(200, 210)))
        a.focus()
        await settled(pilot, a)
        a.row_renders.clear()
        a.set_rows(rows(*reversed(range(100, 110))))
        await pilot.pause()
        assert a.row_renders.total() == 0
        assert lines(a)[1].split()[0] == "109"
        b.focus()  # a loses the focus: its cursor line only is rendered again
        await pilot.pause()
        assert dict(a.row_renders) == {"100": 1} and a.cursor_key == "100"
        a.focus()
        await pilot.pause()
        assert dict(a.row_renders) == {"100": 2}
        a.row_renders.clear()
        switcher = app.query_one(ContentSwitcher)
        switcher.current = "b"
        await pilot.pause()
        assert lines(b)[1].split()[0] == "200"  # filled while hidden, drawn once shown
        switcher.current = "a"
        a.focus()  # as ViewSwitcher.show does
        await settled(pilot, a)
        # Hidden, the table lost the focus and got it back: its cursor line went blurred and
        # focused again; every other line is the one kept.
        assert set(a.row_renders) <= {a.cursor_key}
        assert lines(a)[1].split()[0] == "109"


async def test_the_cursor_stays_on_its_key_when_rows_above_come_and_go() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(1, 2, 3, 4))
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_key == "3"
        table.set_rows(rows(9, 8, 1, 2, 3, 4))  # two rows above
        await pilot.pause()
        assert (table.cursor_key, table.cursor_index) == ("3", 4)
        table.set_rows(rows(3, 4))  # every row above gone
        await pilot.pause()
        assert (table.cursor_key, table.cursor_index) == ("3", 0)
        table.set_rows(rows(4, 2, 3))  # moved
        assert table.cursor_key == "3"
        table.set_rows(rows(4, 2, 5))  # its row gone: the row that took its place
        assert table.cursor_key == "5"


async def test_keys_move_the_cursor_and_keep_it_in_the_window() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(*range(100)))
        table.focus()
        await pilot.press("end")
        assert table.cursor_key == "99"
        assert row_line(table, 99)  # scrolled into the window
        assert lines(table)[0].split()[0] == "PID"  # the header does not scroll
        await pilot.press("home")
        assert table.cursor_key == "0" and table.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert table.cursor_key == "10"  # a window of 11 rows: a page is 10
        await pilot.press("pageup", "down", "down", "up")
        assert table.cursor_key == "1"


async def test_enter_posts_the_key_of_the_row_under_the_cursor() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(7, 8, 9))
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.selected == ["8"]


async def test_an_empty_table_shows_its_header_and_enter_posts_nothing() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.focus()
        await pilot.press("down", "end", "enter")
        await pilot.pause()
        assert lines(table)[0].split()[0] == "PID"
        assert table.cursor_key is None and app.selected == []
        table.set_rows(rows(1))
        table.clear()
        await pilot.pause()
        assert table.row_count == 0 and table.cursor_key is None


@pytest.mark.parametrize(
    ("width", "shown"),
    [
        (160, ("pid", "user", "state", "application", "client", "query")),
        (50, ("pid", "user", "state", "client", "query")),
        (40, ("pid", "user", "state", "query")),
        # The query (priority 8) keeps its natural width before the state (7) may show.
        (30, ("pid", "state", "query")),
        (20, ("pid", "query")),  # and is cut with an ellipsis before the pid goes
    ],
)
async def test_a_narrow_terminal_drops_the_lowest_priority_columns_first(
    width: int, shown: tuple[str, ...]
) -> None:
    app = TableApp()
    async with app.run_test(size=(width, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows({"1": session(1, query="SELECT 1 FROM tab")})
        await pilot.pause()
        assert table.shown_columns == shown
        line = row_line(table, 1)
        assert ("SELECT 1 FROM tab" in line) == (width > 20)
        assert line.rstrip().endswith("…") == (width == 20) and "SELECT 1 FROM" in line
        assert len(line) <= width


async def test_a_resize_fits_the_columns_again() -> None:
    app = TableApp()
    async with app.run_test(size=(160, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(1, 2))
        await pilot.pause()
        assert "application" in table.shown_columns
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert "application" not in table.shown_columns
        assert "APPLICATION" not in lines(table)[0]


async def test_text_that_looks_like_markup_or_controls_is_shown_as_it_is() -> None:
    app = TableApp()
    async with app.run_test(size=(160, 10)) as pilot:
        table = app.query_one(KeyedTable)
        hostile = "SELECT 1 /* [/] [@click=app.quit] [b]x[/b] :fire: */"
        table.set_rows(
            {
                "1": session(1, query=hostile),
                "2": session(2, query="\x1b]52;c;bad\x07 done", user="[red]root[/red]"),
                "3": session(3, query=Text("[bold]styled[/bold]", style="bold yellow")),
            }
        )
        await pilot.pause()
        assert hostile in row_line(table, 1)
        assert "\\x1b]52;c;bad\\x07 done" in row_line(table, 2)
        assert "[red]root[/red]" in row_line(table, 2)
        assert "[bold]styled[/bold]" in row_line(table, 3)


async def test_a_theme_change_renders_the_lines_again_in_its_colours() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows(rows(1, 2))
        await pilot.pause()
        before = table.render_line(2)
        table.row_renders.clear()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert table.row_renders.total() >= 1
        assert table.render_line(2) != before


class TwoTablesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="first")
        yield KeyedTable(COLUMNS, id="second")


async def test_under_no_color_the_cursor_is_reverse_video(monkeypatch: pytest.MonkeyPatch) -> None:
    """And only the focused table's: with two tables on screen (the Checklists pane's runs and
    checklists), the one `enter` acts on must be told without colour. A blurred table's cursor
    is underlined."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TwoTablesApp()
    async with app.run_test(size=(80, 12)) as pilot:
        first, second = app.query_one("#first", KeyedTable), app.query_one("#second", KeyedTable)
        for table in (first, second):
            table.set_rows(rows(1, 2))
        first.focus()
        await pilot.pause()

        def styles(table: KeyedTable, y: int) -> list[Style]:
            return [seg.style for seg in table.render_line(y) if seg.text.strip() and seg.style]

        for focused, blurred in ((first, second), (second, first)):
            focused.focus()
            await pilot.pause()
            assert all(style.reverse for style in styles(focused, 1))
            assert not any(style.reverse for style in styles(focused, 2))
            assert all(style.underline and not style.reverse for style in styles(blurred, 1))
            assert not any(style.underline for style in styles(blurred, 2))


OURS = ("TableModel", "DeferredRow")  # classes of ours with no Textual base: their names are theirs


def test_the_widget_touches_no_private_attribute_of_textual() -> None:
    """Only the model (a class of ours, no Textual in it) has attributes starting with ``_``;
    the widget and its pane subclass, Textual subclasses, neither read nor define one (issue 25)."""
    widgets = Path(__file__).resolve().parents[2] / "widgets"
    pane_table = ast.parse((widgets / "pane_table.py").read_text())  # its subclass for the panes
    tree = ast.parse((widgets / "keyed_table.py").read_text())
    for node in [*ast.walk(tree), *ast.walk(pane_table)]:
        if isinstance(node, ast.ClassDef) and node.name not in OURS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Attribute):
                    assert not inner.attr.startswith("_") or inner.attr.startswith("__"), inner.attr
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    assert not inner.name.startswith("_") or inner.name == "__init__", inner.name
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("textual"):
            assert not any(part.startswith("_") for part in node.module.split(".")), node.module
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assert not classes["TableModel"].bases  # a plain class: its private names are its own
    assert [ast.unparse(base) for base in classes["DeferredRow"].bases] == ["Mapping[str, Cell]"]


class SnapshotApp(App[None]):
    """Sessions as the Queries pane would hand them: a highlighted cell, markup-looking text."""

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS)

    def on_mount(self) -> None:
        table = self.query_one(KeyedTable)
        shown = {}
        for i in range(40):
            cells = session(
                4100 + i, query=f"UPDATE jobs SET state = 'done' WHERE id = {i} /* [b]batch[/b] */"
            )
            if i % 7 == 3:
                cells["state"] = Text("idle in transaction", style="bold yellow")
            shown[str(4100 + i)] = cells
        table.set_rows(shown)
        table.focus()


def test_keyed_table_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(SnapshotApp(), press=["down", "down"], terminal_size=(80, 24))


def test_keyed_table_160x48(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(SnapshotApp(), press=["end"], terminal_size=(160, 48))


class Statements(PaneTable):
    NARROW = ("mean", "calls", "query")
    WIDE_EXTRA = ("rows", "user", "database")
    DETAIL_ONLY = ("plan",)
    SORTED_BY = "total"


async def test_a_pane_table_shows_and_marks_its_sort_column_at_any_width() -> None:
    """PaneTable keeps InPlaceTable's rules: the sort column is never hidden and its header is
    marked; the narrow columns are kept before any wide one; the detail has every column."""

    class Panes(App[None]):
        def compose(self) -> ComposeResult:
            yield Statements()

    app = Panes()
    async with app.run_test(size=(30, 10)) as pilot:  # room for the narrow ones and the sort
        table = app.query_one(Statements)
        cells = {
            "mean": "1.2ms", "calls": "3", "total": "3.6ms", "query": "SELECT 1", "rows": "9",
            "user": "app", "database": "app", "plan": "Seq Scan on a_long_table_name",
        }  # fmt: skip
        table.put_rows({"q1": dict(cells)})
        await pilot.pause()
        assert table.shown_columns == ("mean", "calls", "total", "query")
        assert "TOTAL ▼" in lines(table)[0]
        table.sort_by("calls")
        await pilot.pause()
        assert "CALLS ▼" in lines(table)[0] and "TOTAL" not in lines(table)[0]
        assert table.selected_key() == "q1"
        assert [column for column, _ in table.row_cells("q1")] == [
            "mean", "calls", "query", "rows", "user", "database", "plan"
        ]  # fmt: skip
        built: list[str] = []

        def build() -> dict[str, str | Text]:
            built.append("q1")
            return dict(cells)

        first = table.cells_of("q1", ("source", 1), build)
        assert table.cells_of("q1", ("source", 1), build) is first and built == ["q1"]
        table.cells_of("q1", ("source", 2), build)
        assert built == ["q1", "q1"]


class Pair(PaneTable):
    NARROW = ("name", "value")


class PairApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Pair()


def pairs(*items: tuple[str, str]) -> dict[str, dict[str, str | Text]]:
    return {name: {"name": name, "value": value} for name, value in items}


async def test_a_partial_put_changes_its_rows_in_place_and_keeps_the_others() -> None:
    """The Health pane hands in only the endpoints whose reading changed: the others must stay,
    in their places, and a complete put afterwards must still set the order it gives."""
    app = PairApp()
    async with app.run_test() as pilot:
        table = app.query_one(Pair)
        table.put_rows(pairs(("a", "1"), ("b", "2")))
        assert table.put_rows(pairs(("b", "20"), ("c", "3")), complete=False) == {"b", "c"}
        await pilot.pause()
        assert list(table.row_keys) == ["a", "b", "c"]
        assert [line.split() for line in lines(table)[1:4]] == [["a", "1"], ["b", "20"], ["c", "3"]]
        table.put_rows(pairs(("c", "3"), ("a", "1")))  # complete: "b" goes, the order is this
        assert list(table.row_keys) == ["c", "a"]
        table.put_rows(pairs(("b", "2")), complete=False)  # back, at the end
        assert list(table.row_keys) == ["c", "a", "b"]


def test_a_plan_made_before_the_rows_changed_is_made_again_when_applied() -> None:
    """plan_rows may run on a worker thread while the loop changes the table (a cell updated,
    other rows shown): applying the stale plan must show its rows as a fresh set_rows would,
    with the column widths counted from what is shown, not from what the plan saw."""
    from widgets.keyed_table import TableModel

    model, fresh = TableModel(COLUMNS), TableModel(COLUMNS)
    model.set_rows(rows(1, 2, 3))
    wanted = {**rows(1, 2), "4": session(4, user="a much longer user name")}
    plan = model.plan_rows(wanted)
    model.update_row("1", session(1, user="someone else entirely, for a while"))  # after the plan
    changed, reordered = model.apply(plan)
    fresh.set_rows(wanted)
    assert [model.cells(key) for key in model.order] == [fresh.cells(key) for key in fresh.order]
    assert model.content_widths() == fresh.content_widths()  # the long user name of 1 is gone
    assert changed == {"1", "4"} and reordered  # 1 changed back, 4 came (3 went)
