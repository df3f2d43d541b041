"""The Backups pane on the sandbox's real S3 and a folder: inventory, a guarded backup and
verification from the keys, prune; read-only offers none of them; snapshots on fixed data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Label

from cockpit.backups.inventory import Backup, StoreInventory
from cockpit.backups.retention import outside_retention
from cockpit.config import BackupStore, load_config
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from screens.confirm import ConfirmScreen
from tests.ui.conftest import wait_until
from widgets.backups_table import BackupsTable


@pytest.fixture
def config_path(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox's config with its folder store moved to this test's own folder."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.secret_key)
    (tmp_path / "folder").mkdir()
    path = tmp_path / "cockpit.toml"
    path.write_text(
        re.sub(
            r'path = ".*backups-folder/app"', f'path = "{tmp_path}/folder"', sandbox.config_path.read_text()
        )
    )
    return path


async def test_a_backup_and_its_verification_from_the_keys(config_path: Path, store) -> None:
    app = CockpitApp(load_config(config_path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        table = app.query_one(BackupsTable)
        await wait_until(pilot, lambda: table.row_count >= 3)  # the seeded S3 backups
        status = str(app.query_one("#backups-status", Label).render())
        assert (
            status.startswith("s3 warn (no backup has been verified") and "folder crit (no backup" in status
        )
        table.focus()
        table.move_cursor_to(0)
        await pilot.press("b")  # to the selected row's store: s3
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.screen.summary == "Back up app to s3"
        await pilot.click("#confirm-run")
        await wait_until(pilot, lambda: bool(store.audit_records()) and store.audit_records()[0].ended_at, 30)
        assert store.audit_records()[0].result == "ok"
        newest = store.audit_records()[0].detail.split(":")[0]  # "s3/<key>"
        await wait_until(pilot, lambda: newest in set(table.row_keys), 30)
        table.move_cursor_to(table.row_index(newest))
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.screen.summary.startswith(f"Verify {newest}")
        await pilot.click("#confirm-run")
        await wait_until(
            pilot, lambda: len(store.audit_records()) == 2 and store.audit_records()[0].ended_at, 60
        )
        assert (store.audit_records()[0].action, store.audit_records()[0].result) == ("backup.verify", "ok")
        await wait_until(pilot, lambda: str(table.cell(newest, "verified")).endswith("ago"), 30)


async def test_an_export_from_the_key(config_path: Path, store) -> None:
    app = CockpitApp(load_config(config_path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        table = app.query_one(BackupsTable)
        await wait_until(pilot, lambda: table.row_count >= 3)
        table.focus()
        table.move_cursor_to(0)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.summary == (
            "Export 2 table(s) of app as CSV to s3: public.feature_flags, public.profiles"
        )
        await pilot.click("#confirm-run")
        await wait_until(pilot, lambda: bool(store.audit_records()) and store.audit_records()[0].ended_at, 30)
        record = store.audit_records()[0]
        assert (record.action, record.result) == ("backup.export", "ok")
        folder = record.detail.split(":")[0]  # "s3/exports/<time>/"
        await wait_until(pilot, lambda: folder in set(table.row_keys), 30)
        assert str(table.cell(folder, "backup")).endswith("(CSV)")


async def test_read_only_offers_no_backup_action(config_path: Path, store) -> None:
    app = CockpitApp(load_config(config_path), store=store, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        table = app.query_one(BackupsTable)
        await wait_until(pilot, lambda: table.row_count >= 3)
        table.focus()
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert not keys & {"b", "y", "P", "e"}
        await pilot.press("b", "y", "P", "e")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert store.audit_records() == []


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STORE = BackupStore(name="s3", kind="s3", bucket="backups", retention_days=7)


def backup(hours: float, *, verified: bool | None = None, size: int = 1_261_538) -> Backup:
    manifest: dict[str, object] = {"database": "app", "tool": "pg_dump 18.1"}
    if verified is not None:
        manifest |= {
            "verified_at": (NOW - timedelta(hours=hours - 1)).isoformat(),
            "verify_result": "ok" if verified else "failed",
        }
    created = NOW - timedelta(hours=hours)
    return Backup(f"{created:%Y-%m-%dT%H%M%SZ}.dump", size, created, manifest)


def test_prune_never_takes_the_newest_or_the_newest_verified() -> None:
    found = StoreInventory(
        STORE, [backup(2), backup(26), backup(200, verified=True), backup(300), backup(400)]
    )
    doomed = [b.key for b in outside_retention(found, NOW)]
    assert doomed == [found.backups[3].key, found.backups[4].key]  # 200 h is verified: kept
    assert outside_retention(StoreInventory(STORE, [backup(500)]), NOW) == []  # the only one


class BackupsTableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield BackupsTable()

    def on_mount(self) -> None:
        s3 = StoreInventory(STORE, [backup(2), backup(26, verified=True), backup(200, verified=False)])
        folder = StoreInventory(
            BackupStore(name="nas", kind="folder", path="/x"),
            error="store nas: folder /x does not exist: create it or fix `path`",
        )
        outside = {f"s3/{b.key}" for b in outside_retention(s3, NOW)}
        self.query_one(BackupsTable).show([s3, folder], now=NOW, outside=outside, limit=500)


def test_backups_table_80x24(snap_compare) -> None:
    assert snap_compare(BackupsTableApp(), terminal_size=(80, 24))


def test_backups_table_160x48(snap_compare) -> None:
    assert snap_compare(BackupsTableApp(), terminal_size=(160, 48))


async def test_a_big_store_draws_its_newest_rows_only() -> None:
    """Thousands of hourly backups: the table draws the newest ``limit`` per store (the status line
    says how many there are; `cockpit backup list` prints them all)."""
    from cockpit.backups.store import StoredObject

    many = StoreInventory(
        STORE,
        [backup(h) for h in range(1, 9)],
        foreign=[StoredObject("notes.txt", 10, NOW)],
        exports=[StoredObject("exports/2026-11-20/", 10, NOW)],
    )
    few = StoreInventory(BackupStore(name="nas", kind="folder", path="/x"), [backup(3)])
    app = App[None]()
    async with app.run_test() as pilot:
        table = BackupsTable()
        await app.mount(table)
        table.show([many, few], now=NOW, outside=set(), limit=5)
        await pilot.pause()
        keys = list(table.row_keys)
        assert keys == [f"s3/{b.key}" for b in many.backups[:5]] + [f"nas/{few.backups[0].key}"]
        table.show([many], now=NOW, outside=set(), limit=10)  # room left: exports, then the rest
        await pilot.pause()
        assert list(table.row_keys)[-2:] == ["s3/exports/2026-11-20/", "s3/notes.txt"]


async def test_the_tool_path_is_whole_in_the_detail() -> None:
    """The manifest's tool was cut at 30 characters, its path lost (issue 23 item 9): the table
    shows the tool and version, the detail (enter) the whole line with the path."""
    from screens.row_detail import RowDetail
    from tests.ui.conftest import screen_text

    tool = "pg_dump 18.1 (/usr/lib/postgresql/18/bin/pg_dump)"
    long = backup(2)
    long.manifest["tool"] = tool  # type: ignore[index]

    class App1(App[None]):
        def compose(self) -> ComposeResult:
            yield BackupsTable()

        def on_mount(self) -> None:
            self.query_one(BackupsTable).show(
                [StoreInventory(STORE, [long])], now=NOW, outside=set(), limit=500
            )

    app = App1()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(BackupsTable)
        cells = dict(table.row_cells(f"s3/{long.key}"))
        assert cells["tool"] == "pg_dump 18.1" and cells["tool path"] == tool
        await app.push_screen(RowDetail("backup", table.row_cells(f"s3/{long.key}")))
        await pilot.pause()
        drawn = "".join(line.strip(" █▌▐") for line in screen_text(app).splitlines())
        assert "/usr/lib/postgresql/18/bin/pg_dump)" in drawn.replace(" ", "")
