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
        rendered: list[str] = []
        render_row = table._render_line_in_row

        def spy(row_key, *args, **kwargs):  # type: ignore[no-untyped-def]
            rendered.append(str(row_key.value))
            return render_row(row_key, *args, **kwargs)

        table._render_line_in_row = spy  # type: ignore[method-assign]
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
