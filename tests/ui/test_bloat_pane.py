"""The Bloat pane on the real sandbox: the estimate, an exact figure, a guarded VACUUM; snapshots."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from textual.app import App, ComposeResult
from textual.widgets import Label

from cockpit.config import load_config
from cockpit.probes.bloat import IndexBloat, TableBloat
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from cockpit.units import format_size
from screens.app import CockpitApp
from screens.bloat_pane import BloatPane
from screens.confirm import ConfirmScreen
from tests.ui.conftest import wait_until
from widgets.bloat_tables import IndexesTable, TablesTable


async def test_estimate_exact_figure_and_a_guarded_vacuum(sandbox: Sandbox, store) -> None:
    name = f"pane_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (n int) WITH (autovacuum_enabled = false)".encode())
        conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 20000); ANALYZE {name}".encode())
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3")
            pane = app.query_one(BloatPane)
            tables = app.query_one(TablesTable)
            await wait_until(pilot, lambda: f"public.{name}" in set(tables.row_keys))
            status = app.query_one("#bloat-status", Label)
            assert "bloat (estimated)" in str(status.render())
            assert str(tables.cell("public.user_feedback", "bloat")).rstrip("%").isdigit()
            tables.move_cursor_to(tables.row_index("public.user_feedback"))
            await pilot.press("x")  # read-only work: no confirmation
            await wait_until(pilot, lambda: "exact (full scan) public.user_feedback" in str(status.render()))
            tables.move_cursor_to(tables.row_index(f"public.{name}"))
            await pilot.press("V")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.summary == f"VACUUM (ANALYZE) public.{name} on app"
            await pilot.click("#confirm-run")
            await wait_until(pilot, lambda: bool(store.audit_records()) and store.audit_records()[0].ended_at)
            assert pane.view == "tables"
    finally:
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP TABLE {name}".encode())
    record = store.audit_records()[0]
    assert (record.action, record.result) == ("bloat.vacuum_analyze", "ok")
    assert record.detail.startswith(f"public.{name}: ")


async def test_archive_counts_first_then_moves_the_rows_once_confirmed(
    sandbox: Sandbox, store, tmp_path
) -> None:
    name = f"audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id int, created_at timestamptz)".encode())
        conn.execute(f"CREATE TABLE {name}_old (LIKE {name})".encode())
        conn.execute(
            f"INSERT INTO {name} SELECT g, now() - make_interval(days => g, hours => -12) FROM generate_series(1, 120) g".encode()
        )
    config = tmp_path / "cockpit.toml"  # the sandbox's config, its archive pointed at this test's table
    config.write_text(
        sandbox.config_path.read_text()
        .replace('archive_table = "public.audit_log_archive"', f'archive_table = "{name}_old"')
        .replace('table = "public.audit_log"', f'table = "public.{name}"')
    )
    app = CockpitApp(load_config(config), store=store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3", "m")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.summary == (
                f"Archive 30 rows of public.{name} older than 90d into {name}_old on app"
            )
            await pilot.click("#confirm-run")
            await wait_until(pilot, lambda: bool(store.audit_records()) and store.audit_records()[0].ended_at)
        with psycopg.connect(sandbox.postgres.dsn()) as conn:
            moved = conn.execute(f"SELECT count(*), min(id) FROM {name}_old".encode()).fetchone()
    finally:
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP TABLE {name}, {name}_old".encode())
    assert moved == (30, 91)
    record = store.audit_records()[0]
    assert (record.action, record.result) == ("bloat.archive", "ok")


async def test_read_only_offers_no_maintenance(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert {"v", "x", "slash"} <= keys and not keys & {"V", "Z", "A", "F", "I", "m"}
        pane = app.query_one(BloatPane)
        assert [c[0] for c in pane.palette_commands()] == ["Bloat: next view", "Bloat: filter"]
        await pilot.press("V", "Z", "A", "F", "I", "m")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert store.audit_records() == []


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
XID_NOW = 400_000_000  # the server's transaction counter: freeze ages are counted to it


def table(
    name: str, pages: int, bloat: int | None, live: int, dead: int, vacuumed_h: float | None
) -> TableBloat:
    vacuumed = NOW - timedelta(hours=vacuumed_h) if vacuumed_h is not None else None
    return TableBloat(
        oid=1, schema="public", name=name, locked=name == "orders", estimable=bloat is not None, pages=pages,
        block_size=8192, total_bytes=None if name == "orders" else pages * 8192 * 3 // 2,
        table_bytes=pages * 8192, index_bytes=pages * 8192 // 2, toast_bytes=8192,
        bloat_bytes=bloat * 8192 if bloat is not None else None, live_tuples=live, dead_tuples=dead,
        last_vacuum=None, last_autovacuum=vacuumed, last_analyze=None, last_autoanalyze=vacuumed,
        autovacuum_on=name != "audit_log", autovacuum_threshold=50 + 0.2 * live,
        frozen_xid=XID_NOW - (150_000_000 if name == "events" else 2_000_000), freeze_max_age=200_000_000,
    )  # fmt: skip


TABLES = [
    table("user_feedback", 1213, 496, 24_000, 16_000, None),
    table("audit_log", 660, 209, 40_000, 20_000, None),
    table("events", 52_000, 3_000, 2_000_000, 40_000, 3.0),
    table("orders", 9_000, None, 500_000, 100, 30.0),
    table("feature_flags", 1, 0, 3, 0, None),
]
INDEXES = [
    IndexBloat(2, "public", "audit_log", "audit_log_pkey", False, True, 221, 8192, 1_810_432, 901_120, 0),
    IndexBloat(
        3, "public", "events", "events_created_at", False, True, 9_000, 8192, 73_728_000, 3_000_000, 12
    ),
]


class BloatTablesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TablesTable()
        yield IndexesTable()

    def on_mount(self) -> None:
        self.query_one(TablesTable).show(TABLES, now=NOW, xid_now=XID_NOW, warn=30, crit=60, dead_warn=20)
        self.query_one(IndexesTable).show(INDEXES, warn=30, crit=60)


def test_bloat_tables_80x24(snap_compare) -> None:
    assert snap_compare(BloatTablesApp(), terminal_size=(80, 24))


def test_bloat_tables_160x48(snap_compare) -> None:
    assert snap_compare(BloatTablesApp(), terminal_size=(160, 48))


class TablesApp(App[None]):
    """The Bloat pane's tables table alone, for an estate handed to it."""

    def compose(self) -> ComposeResult:
        yield TablesTable()


def estate(count: int) -> list[TableBloat]:
    """``count`` tables named t0000..., each one of TABLES' three, in turn."""
    return [dataclasses.replace(TABLES[index % 3], name=f"t{index:04d}", oid=index) for index in range(count)]


def show_estate(tables: TablesTable, rows: list[TableBloat]) -> None:
    """The pane's show, at the fixed clock and thresholds of these tests."""
    tables.show(rows, now=NOW, xid_now=XID_NOW, warn=30, crit=60, dead_warn=20)


async def test_every_table_of_the_estate_is_a_row_and_only_the_drawn_ones_are_formatted() -> None:
    """The pane used to draw the 500 worst: now 5,000 tables are all rows, the end one a key
    away, and a row's figures are formatted only when its line is drawn."""
    many = estate(5_000)

    app = TablesApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tables = app.query_one(TablesTable)
        show_estate(tables, many)
        await pilot.pause()
        assert tables.row_count == 5_000
        built = [row for row in tables.model.order if tables.model.cells(row).built]  # type: ignore[union-attr]
        assert 0 < len(built) <= 24  # the window's rows, not the estate's
        tables.focus()
        await pilot.press("end")
        await pilot.pause()
        last = tables.render_line(tables.size.height - 1).text
        assert "public.t4999" in last and "7.7 MB" in last  # the last table (an audit_log), its figures
        # The same reading again: not one row made or formatted again, not one line rendered.
        renders = tables.row_renders.total()
        show_estate(tables, many)
        await pilot.pause()
        assert tables.row_renders.total() == renders
        assert "public.t4999" in tables.render_line(tables.size.height - 1).text
        # One table's figures changed: its row alone is made and drawn again.
        changed = [*many[:-1], dataclasses.replace(many[-1], dead_tuples=(many[-1].dead_tuples or 0) + 1)]
        show_estate(tables, changed)
        await pilot.pause()
        assert tables.row_renders.total() == renders + 1 and tables.row_renders["public.t4999"] >= 1


async def test_the_sizes_step_keeps_every_rows_name_cell_and_shows_the_new_figures() -> None:
    """The sizes step changes every row's figures and no row's name: the name cells (measured for
    the column widths) are kept, not made again 30,000 times; a renamed table's is made again.
    What is on screen follows the new figures."""
    many = estate(2_000)

    app = TablesApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tables = app.query_one(TablesTable)
        show_estate(tables, many)
        await pilot.pause()
        names = {key: tables.deferred[key].measured for key in tables.model.order}
        sized = [dataclasses.replace(t, total_bytes=(t.total_bytes or 0) + 8192 * 1000) for t in many]
        sized[5] = dataclasses.replace(sized[5], name="renamed")
        show_estate(tables, sized)
        await pilot.pause()
        kept = [key for key in tables.model.order if tables.deferred[key].measured is names.get(key)]
        assert len(kept) == 1_999 and "public.renamed" not in names  # all but the renamed one
        assert tables.deferred["public.renamed"].measured["table"] == "public.renamed"
        first = tables.render_line(1).text
        top = sized[[t.qualified for t in sized].index(first.split()[0])]
        assert format_size(top.total_bytes) in first  # the line drawn shows the new size


async def test_a_reading_is_compared_off_the_loop_and_a_filter_typed_meanwhile_wins(
    sandbox: Sandbox, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new reading's rows are compared on a worker thread (30,000 relations held the loop for
    a second, bench/bloat_estimate.py), so keys are answered meanwhile: here the plan is held on
    its thread while a filter is typed and shown. The filter typed is what the table then shows,
    not the reading as it was filtered when its plan began."""
    import threading

    armed, entered, release, returned = (threading.Event() for _ in range(4))
    plan = TablesTable.plan

    def held_plan(self: TablesTable, *args: Any, **kwargs: Any) -> Any:
        if armed.is_set() and threading.current_thread() is not threading.main_thread():
            armed.clear()
            entered.set()
            release.wait(10)
            try:
                return plan(self, *args, **kwargs)
            finally:
                returned.set()
        return plan(self, *args, **kwargs)

    monkeypatch.setattr(TablesTable, "plan", held_plan)
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        pane, tables = app.query_one(BloatPane), app.query_one(TablesTable)
        await wait_until(pilot, lambda: "public.user_feedback" in set(tables.row_keys))
        await wait_until(pilot, lambda: not pane.estimate.sizes_pending and "read in" in pane._status_line())
        armed.set()
        await pilot.press("r")  # a read: its plan is held on its worker thread
        await wait_until(pilot, entered.is_set)
        await pilot.press("slash", *"user_feedback", "enter")  # answered while the plan is held
        await pilot.pause()
        assert set(tables.row_keys) == {"public.user_feedback"}
        release.set()
        await wait_until(pilot, returned.is_set)
        for _ in range(5):
            await pilot.pause()
        assert set(tables.row_keys) == {"public.user_feedback"}  # the filter's, not the held plan's
