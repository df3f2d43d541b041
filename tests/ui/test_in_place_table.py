"""InPlaceTable: rows in the order given, cells updated in place, the cursor kept on its row."""

from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.in_place_table import InPlaceTable


class Table(InPlaceTable):
    NARROW = ("name", "value")


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Table()


def rows(*pairs: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"name": name, "value": value} for name, value in pairs}


def order(table: Table) -> list[str]:
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


async def test_order_follows_the_rows_and_the_cursor_follows_its_row() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        table._put(rows(("a", "1"), ("b", "2"), ("c", "3")))
        await pilot.pause()
        table.move_cursor(row=1)
        assert table.selected_key() == "b"
        # "a" goes, "c" moves above "b": the cursor must still be on "b", not on what is now row 1.
        changed = table._put(rows(("c", "3"), ("b", "20")))
        await pilot.pause()
        assert order(table) == ["c", "b"]
        assert table.selected_key() == "b"
        assert changed == {"value"}
        # A new row at the top: still on "b".
        table._put(rows(("d", "4"), ("c", "3"), ("b", "20")))
        await pilot.pause()
        assert order(table) == ["d", "c", "b"] and table.selected_key() == "b"


async def test_an_unchanged_put_repaints_nothing() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        table._put(rows(("a", "1"), ("b", "2")))
        await pilot.pause()
        updates = table._update_count
        assert table._put(rows(("a", "1"), ("b", "2"))) == set()
        assert table._update_count == updates


async def test_a_changed_cell_repaints_its_row_only() -> None:
    """DataTable.update_cell re-rendered every row for one changed cell: at a 1 s refresh that
    was most of the cockpit's idle CPU. The new value must still reach the screen."""
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        table._put(rows(*((f"r{i}", "0") for i in range(10))))
        await pilot.pause()
        rendered = spy_rendered_rows(table)
        table._put(rows(*((f"r{i}", "99" if i == 3 else "0") for i in range(10))))
        await pilot.pause()
        assert set(rendered) == {"r3"}
        assert "99" in table.render_line(4).text  # line 0 is the header
        assert "99" not in table.render_line(3).text


async def test_cells_of_builds_a_row_again_only_when_its_source_changed() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        built: list[str] = []

        def put(values: dict[str, int]) -> None:
            def cells(name: str, value: int) -> dict[str, str]:
                built.append(name)
                return {"name": name, "value": str(value)}

            table._put({n: table.cells_of(n, v, lambda n=n, v=v: cells(n, v)) for n, v in values.items()})

        put({"a": 1, "b": 2})
        await pilot.pause()
        put({"a": 1, "b": 3})
        await pilot.pause()
        assert built == ["a", "b", "b"]
        assert [str(c) for c in table.get_row("b")] == ["b", "3"]
        put({"b": 3})  # "a" gone: forgotten, built again if it comes back
        put({"a": 1, "b": 3})
        assert built == ["a", "b", "b", "a"]


def row_meta(table: Table, y: int) -> set[int]:
    """The row indexes a click on screen line ``y`` of the table would report (line 0: header)."""
    return {s.style.meta["row"] for s in table.render_line(y) if s.style and "row" in s.style.meta}


def spy_rendered_rows(table: Table) -> list[str]:
    rendered: list[str] = []
    render_row = table._render_line_in_row

    def spy(row_key, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(str(row_key.value))
        return render_row(row_key, *args, **kwargs)

    table._render_line_in_row = spy  # type: ignore[method-assign]
    return rendered


async def test_a_reorder_repaints_the_moved_rows_in_the_window_only() -> None:
    """A reorder bumped DataTable's update count: the whole table re-rendered for a statement
    climbing one place, or for rows swapping far below the window (bench/idle_footprint.py)."""
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:  # the header and 11 rows in the window
        table = app.query_one(Table)
        names = [f"r{i:02}" for i in range(40)]
        table._put(rows(*((name, name.upper()) for name in names)))
        await pilot.pause()
        assert [row_meta(table, y) for y in range(1, 12)] == [{index} for index in range(11)]
        rendered = spy_rendered_rows(table)
        updates = table._update_count

        names[2], names[3] = names[3], names[2]  # in the window
        table._put(rows(*((name, name.upper()) for name in names)))
        await pilot.pause()
        assert set(rendered) == {"r02", "r03"} and table._update_count == updates
        assert "R03" in table.render_line(3).text and "R02" in table.render_line(4).text
        # Clicks and the cursor go by the index drawn into each line: the moved rows' must be new.
        assert [row_meta(table, y) for y in range(1, 12)] == [{index} for index in range(11)]

        rendered.clear()
        names[30], names[35] = names[35], names[30]  # below the window: nothing to draw
        table._put(rows(*((name, name.upper()) for name in names)))
        await pilot.pause()
        assert rendered == [] and order(table) == names
        table.move_cursor(row=35)  # scrolls: the moved rows are drawn in their new places
        await pilot.pause()
        lines = {table.render_line(y).text.split()[0]: row_meta(table, y) for y in range(1, 12)}
        assert lines["r30"] == {35} and lines["r35"] == {30} and lines["r34"] == {34}


async def test_a_reorder_of_most_of_the_window_repaints_it_whole() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(Table)
        names = [f"r{i:02}" for i in range(20)]
        table._put(rows(*((name, name.upper()) for name in names)))
        await pilot.pause()
        updates = table._update_count
        names.reverse()
        table._put(rows(*((name, name.upper()) for name in names)))
        await pilot.pause()
        assert table._update_count == updates + 1  # DataTable's own way: every cache dropped
        top = table.scroll_offset.y  # the cursor followed r00 to the bottom
        assert top > 0 and table.selected_key() == "r00"
        assert [table.render_line(y).text.split()[0] for y in range(1, 12)] == names[top : top + 11]
        assert [row_meta(table, y) for y in range(1, 12)] == [{index} for index in range(top, top + 11)]


async def test_forgetting_rows_keeps_the_render_caches_to_the_current_update() -> None:
    """_forget reads the update count at fixed places of DataTable's cache keys (Textual is
    pinned): entries of earlier counts go, the current ones of other rows stay."""
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(Table)
        table._put(rows(*((f"r{i}", "0") for i in range(5))))
        await pilot.pause()
        for y in range(1, 6):
            table.render_line(y)
        count = table._update_count
        table._forget(set())  # no row to forget: only earlier counts' entries go
        assert {k[6] for k in table._cell_render_cache.keys()} == {count}  # noqa: SIM118
        assert {k[8] for k in table._row_render_cache.keys()} == {count}  # noqa: SIM118
        table._update_count += 1  # as DataTable does on add_row: every entry now stale
        table._forget(set())
        assert not list(table._cell_render_cache.keys()) and not list(table._row_render_cache.keys())


async def test_rows_put_in_place_then_a_complete_put_keeps_the_order_given() -> None:
    """The table remembers the order it shows (a complete put that changes none skips the
    reorder): rows added by an incomplete put, and removed ones, must keep that memory right."""
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        table._put(rows(("a", "1"), ("b", "2")))
        table._put(rows(("c", "3")), complete=False)
        await pilot.pause()
        assert order(table) == ["a", "b", "c"]
        table._put(rows(("c", "3"), ("a", "1"), ("b", "2")))
        assert order(table) == ["c", "a", "b"]
        table._put(rows(("b", "2"), ("c", "3")))  # "a" goes: the rest reordered
        assert order(table) == ["b", "c"]
        table._put(rows(("a", "1"), ("b", "2"), ("c", "3")), complete=False)  # "a" back, at the end
        assert order(table) == ["b", "c", "a"]
        table._put(rows(("a", "1"), ("b", "2"), ("c", "3")))
        await pilot.pause()
        assert order(table) == ["a", "b", "c"]
        assert [table.render_line(y).text.split()[0] for y in range(1, 4)] == ["a", "b", "c"]


async def test_the_columns_are_there_for_the_first_frame() -> None:
    """Columns added on the first Resize (after the first paint) left the first frame without
    table headers; they came a frame later, 70 ms into a busy start (bench/first_frame.py)."""
    seen: list[str] = []

    class FirstFrameApp(TableApp):
        def on_mount(self) -> None:  # children are mounted, nothing is painted yet
            seen.extend(str(column.label) for column in self.query_one(Table).columns.values())

    app = FirstFrameApp()
    async with app.run_test() as pilot:
        await pilot.pause()
    assert seen == ["NAME", "VALUE"]
