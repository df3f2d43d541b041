"""What the cockpit writes is its user's alone, whatever the umask: the state store (and its WAL
files), crash.log, folder-store dumps and their temporary files, CSV exports, checklist reports.
Under the usual umask 022 they were 0644 in 0755 folders: readable by every user of the host."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit import cli
from cockpit.backups.store import FolderStore
from cockpit.config import BackupStore
from cockpit.state import StateStore


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_store_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "deeper" / "state.sqlite3"
    store = StateStore(path)
    store.set_ui("k", "v")  # a write: the -wal and -shm files exist now
    try:
        assert mode(tmp_path / "state") == 0o700 and mode(tmp_path / "state" / "deeper") == 0o700
        for name in ("state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"):
            assert mode(path.parent / name) == 0o600, name
    finally:
        store.close()


def test_a_state_store_an_older_version_left_readable_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    path.chmod(0o644)
    StateStore(path).close()
    assert mode(path) == 0o600


def test_a_folder_stores_dump_is_private_while_written_and_after(tmp_path: Path) -> None:
    root = tmp_path / "nas"
    root.mkdir()
    store = FolderStore(BackupStore(name="nas", kind="folder", path=str(root), prefix="app/"))
    seen: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b"PGDMP"
        (partial,) = (root / "app" / "exports").glob(".partial-*")
        seen.append(mode(partial))
        yield b"more"

    store.upload("exports/orders.csv", chunks())
    assert seen == [0o600]  # the hidden temporary file, as it is written
    assert mode(root / "app" / "exports" / "orders.csv") == 0o600
    assert mode(root / "app") == 0o700 and mode(root / "app" / "exports") == 0o700
    assert mode(root) == 0o755  # the operator's own folder is left as it was
    store.write_json("x.dump.manifest.json", {"key": "x.dump"})
    assert mode(root / "app" / "x.dump.manifest.json") == 0o600


def test_crash_log_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COCKPIT_STATE_DIR", str(tmp_path / "state"))
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        assert cli._crash(exc) == 70
    log = tmp_path / "state" / "crash.log"
    assert "RuntimeError: boom" in log.read_text()
    assert mode(log) == 0o600 and mode(log.parent) == 0o700
    assert "details in" in capsys.readouterr().err
