"""The database server goes away in the middle of a real backup: the error says so, the cause
first, rather than pg_dump's last stderr line (which was 'Command was: COPY ...')."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psycopg
import pytest

from cockpit.backups.run import backup_request, run_backup
from cockpit.config import BackupStore, Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import CockpitError
from cockpit.guard import Confirmation, Guard
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.state import StateStore


def test_a_server_that_dies_mid_backup_is_named_as_the_cause(tmp_path: Path, store: StateStore) -> None:
    server = SandboxPostgres(tmp_path / "pg")
    server.init()
    server.start()
    try:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE TABLE big AS SELECT i, md5(i::text) AS a, md5((i + 1)::text) AS b"
                         " FROM generate_series(1, 600000) AS i")  # fmt: skip
        database = Database(name="doomed", dsn=server.dsn("postgres"))
        config = BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas"))
        guard = Guard(target="t", store=store, read_only=False)
        pid = int((server.pgdata / "postmaster.pid").read_text().split()[0])

        def on_progress(update) -> None:  # type: ignore[no-untyped-def]
            if "B/s, " in update.message and (server.pgdata / "postmaster.pid").exists():
                os.kill(pid, signal.SIGKILL)  # the server is gone, as a crash or an OOM kill takes it
                (server.pgdata / "postmaster.pid").unlink()

        with pytest.raises(CockpitError) as failed:
            guard.run(
                backup_request(config, database), Confirmation(confirmed=True),
                lambda c: run_backup(c, config, database, SessionPolicy()), on_progress=on_progress,
            )  # fmt: skip
        message = str(failed.value)
        assert message.startswith(
            "pg_dump failed: the server said: server closed the connection unexpectedly; This probably "
            "means the server terminated abnormally"
        ), message
        assert message.endswith('(Dumping the contents of table "big" failed: PQgetCopyData() failed.)')
        assert "Command was" not in message
        assert store.audit_records()[0].result == "failed"
        assert list((tmp_path / "nas").glob("*")) == []  # nothing kept, not even a temporary file
    finally:
        server.stop()
