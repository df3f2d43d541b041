"""The state store: WAL, versioned schema, refuses a newer schema, UI state survives a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cockpit.errors import CockpitError
from cockpit.state import MIGRATIONS, StateStore


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    assert store.schema_version == len(MIGRATIONS)
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.set_ui("last_pane:prod", "bloat")
    store.close()
    again = StateStore(tmp_path / "s.db")  # migrations are not re-run
    assert again.get_ui("last_pane:prod") == "bloat"
    again.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(CockpitError, match="newer ops-cockpit"):
        StateStore(path)


def test_unwritable_location_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CockpitError, match="COCKPIT_STATE_DIR"):
        StateStore(blocker / "sub" / "s.db")


def test_secrets_index_keeps_names_and_times(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.secret_stored("b")
    store.secret_stored("a")
    store.secret_stored("a")
    assert [name for name, _ in store.secrets()] == ["a", "b"]
    assert store.query("SELECT previous_stored_at IS NOT NULL FROM secrets_index WHERE name='a'")[0][0]
    store.secret_deleted("a")
    assert [name for name, _ in store.secrets()] == ["b"]
    store.close()
