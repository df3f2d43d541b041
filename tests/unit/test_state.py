"""The state store: WAL, versioned schema, refuses a newer schema, UI state survives a restart."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
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


GUARDED_SLEEP = """
import sys, time
from cockpit.guard import ActionRequest, Confirmation, Guard
from cockpit.state import StateStore

store = StateStore(__import__("pathlib").Path(sys.argv[1]))
guard = Guard(target="t", store=store, read_only=False)

def act(context):
    print("started", flush=True)
    time.sleep(600)

guard.run(ActionRequest(action="archive.run", summary="archive"), Confirmation(confirmed=True), act)
"""


def _start_guarded_sleep(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", GUARDED_SLEEP, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "started\n"
    return child


def test_a_running_row_whose_process_was_killed_is_closed_as_interrupted(tmp_path: Path) -> None:
    """kill -9 during a guarded action (an archive) left its audit row `running` forever."""
    path = tmp_path / "state.sqlite3"
    killed = _start_guarded_sleep(path)
    alive = _start_guarded_sleep(path)
    try:
        killed.kill()
        killed.communicate()  # reaped: a zombie still answers kill(pid, 0)
        store = StateStore(path)  # the next start
        try:
            rows = {r.id: r for r in store.audit_records()}
            first, second = rows[1], rows[2]
            assert (first.action, first.result) == ("archive.run", "interrupted")
            assert first.ended_at is not None
            assert first.detail.startswith(f"interrupted: its process (pid {killed.pid} on ")
            assert second.result == "running"  # its process is still there: nothing to close
        finally:
            store.close()
    finally:
        alive.kill()
        alive.communicate()


def test_a_running_row_of_an_older_version_is_closed_once_a_day_old(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    for started in ("2020-01-01T00:00:00.000+00:00", datetime.now(UTC).isoformat()):
        with store.transaction() as db:  # as a version before the pid column wrote them
            db.execute(
                "INSERT INTO audit (started_at, actor, host, target, action, params)"
                " VALUES (?, 'op', ?, 't', 'archive.run', '{}')",
                (started, socket.gethostname()),
            )
    store.close()
    store = StateStore(path)
    try:
        assert [r.result for r in store.audit_records()] == ["running", "interrupted"]
    finally:
        store.close()
