"""The Backups pane on the sandbox's real S3 with one garbage manifest among good ones: the pane
lists every backup, that one's row says why it cannot be trusted, and the status line warns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import Label

from cockpit.backups.inventory import Backup, StoreInventory
from cockpit.config import BackupStore, load_config
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from tests.integration.test_backup_manifests import BAD, s3_backups_with_one_garbage_manifest, s3_config
from tests.ui.conftest import wait_until
from widgets.backups_table import BackupsTable


@pytest.fixture
def config_path(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, dict[int, str]]:
    """The sandbox's config with its S3 store at a prefix of this test's own, holding backups
    with one garbage manifest (and its folder store at a folder of its own); their keys."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.secret_key)
    store = s3_config(sandbox)
    keys = s3_backups_with_one_garbage_manifest(store)
    (tmp_path / "folder").mkdir()
    text = re.sub(r'prefix = "app/"', f'prefix = "{store.prefix}"', sandbox.config_path.read_text())
    text = re.sub(r'path = ".*backups-folder/app"', f'path = "{tmp_path}/folder"', text)
    path = tmp_path / "cockpit.toml"
    path.write_text(text)
    return path, keys


async def test_the_pane_lists_all_and_marks_the_unreadable_one(
    config_path: tuple[Path, dict[int, str]], store
) -> None:
    path, keys = config_path
    app = CockpitApp(load_config(path), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        table = app.query_one(BackupsTable)
        await wait_until(pilot, lambda: all(f"s3/{k}" in set(table.row_keys) for k in keys.values()))
        cell = table.cell(f"s3/{keys[BAD]}", "verified")
        assert isinstance(cell, Text) and cell.plain == "manifest unreadable: not JSON"
        assert "yellow" in str(cell.style)
        others = [table.cell(f"s3/{k}", "verified") for h, k in keys.items() if h != BAD]
        assert sum(str(c).endswith("ago") for c in others) == 1 and sum(c == "never" for c in others) == 3
        status = str(app.query_one("#backups-status", Label).render())
        assert status.startswith(f"s3 warn (1 manifest could not be read; newest: {keys[BAD]}.manifest.json")


async def test_the_table_shows_the_reason_in_the_verified_column() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    good = Backup("2026-11-23T100000Z.dump", 100, now - timedelta(hours=2), {"database": "app"})
    bad = Backup("2026-11-22T100000Z.dump", 90, now - timedelta(hours=26), None, "AccessDenied")
    app = App[None]()
    async with app.run_test() as pilot:
        table = BackupsTable()
        await app.mount(table)
        table.show(
            [StoreInventory(BackupStore(name="s3", kind="s3", bucket="b"), [good, bad])],
            now=now,
            outside=set(),
            limit=10,
        )
        await pilot.pause()
        assert str(table.cell(f"s3/{bad.key}", "verified")) == "manifest unreadable: AccessDenied"
        assert (
            table.cell(f"s3/{bad.key}", "age") == "1d 2h"
            and table.cell(f"s3/{good.key}", "verified") == "never"
        )
