"""The state store: audit records, secret metadata, UI state (and, as panes land, their data).

SQLite in WAL mode under the platform state dir: one writer, many readers, so an observer can
follow what an operator does. The schema is versioned with ``PRAGMA user_version``; a pane that
needs tables appends a migration to ``MIGRATIONS`` and never edits an old one.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cockpit.actor import process_running
from cockpit.errors import CockpitError
from cockpit.paths import make_private, open_private, private_dir, state_db_path

# The checklist journal (cockpit/checklists/journal.py); the same tables in a shared PostgreSQL database.
JOURNAL_SCHEMA: Sequence[str] = (
    """CREATE TABLE IF NOT EXISTS checklist_runs (
        id           TEXT PRIMARY KEY,
        checklist_id TEXT NOT NULL,
        title        TEXT NOT NULL,
        target       TEXT NOT NULL,
        definition   TEXT NOT NULL,
        params       TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        started_by   TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'running',
        finished_at  TEXT,
        holder       TEXT NOT NULL,
        lease_until  DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS checklist_events (
        run_id   TEXT NOT NULL REFERENCES checklist_runs (id),
        seq      INTEGER NOT NULL,
        at       TEXT NOT NULL,
        operator TEXT NOT NULL,
        kind     TEXT NOT NULL,
        step     TEXT,
        detail   TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    )""",
)

MIGRATIONS: Sequence[str] = (
    # 1: the audit trail, the secrets index (names and times, never values), UI state.
    """
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        actor       TEXT NOT NULL,
        sudo_user   TEXT,
        ssh_client  TEXT,
        host        TEXT NOT NULL,
        target      TEXT NOT NULL,
        action      TEXT NOT NULL,
        params      TEXT NOT NULL,
        result      TEXT NOT NULL DEFAULT 'running',
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_started ON audit (started_at);
    CREATE TABLE secrets_index (
        name        TEXT PRIMARY KEY,
        stored_at   TEXT NOT NULL,
        previous_stored_at TEXT
    );
    CREATE TABLE ui_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: health history, so sparklines and p95 survive a restart (the health pane).
    """
    CREATE TABLE health_samples (
        target      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        at          REAL NOT NULL,
        ok          INTEGER NOT NULL,
        latency_ms  REAL,
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX health_samples_subject ON health_samples (target, kind, subject, at);
    """,
    # 3: secret rotations (the secrets pane): when, by whom, and the previous key's grace period.
    # Metadata only: the previous value is never kept.
    """
    CREATE TABLE secret_rotations (
        id                  INTEGER PRIMARY KEY,
        name                TEXT NOT NULL,
        rotated_at          TEXT NOT NULL,
        actor               TEXT NOT NULL,
        previous_stored_at  TEXT,
        revoke_by           TEXT NOT NULL,
        revoked_at          TEXT
    );
    CREATE INDEX secret_rotations_name ON secret_rotations (name, rotated_at);
    """,
    # 4: the checklist journal: runs and their events (cockpit/checklists/journal.py).
    ";".join(JOURNAL_SCHEMA),
    # 5: the process that wrote an audit row, so a row a killed process left `running` is closed
    # as `interrupted` by the next start on that host (StateStore.close_interrupted).
    "ALTER TABLE audit ADD COLUMN pid INTEGER",
)

# A `running` row from before migration 5 names no process: it counts as interrupted once this
# old (no action of the cockpit runs for a day).
UNKNOWN_PROCESS_AGE = timedelta(days=1)


class AuditResult(StrEnum):
    """How an audited action ended; the value is what the audit table's ``result`` column holds."""

    RUNNING = "running"  # started, no end recorded yet
    OK = "ok"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process ended without recording an end (close_interrupted)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    started_at: str
    ended_at: str | None
    actor: str
    sudo_user: str | None
    ssh_client: str | None
    host: str
    target: str
    action: str
    params: dict[str, Any]
    result: AuditResult
    detail: str


@dataclass(frozen=True, slots=True)
class Rotation:
    """A secret's rotation: when, by whom; the old key's grace period and revocation."""

    name: str
    rotated_at: str
    actor: str
    previous_stored_at: str | None
    revoke_by: str
    revoked_at: str | None


class StateStore:
    """A thread-safe handle on the state database (workers write audit records too)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_db_path()
        try:
            private_dir(self.path.parent)
            # SQLite creates the database 0644 (under umask 022) and gives its -wal and -shm the
            # database's mode: created 0600 first, all three are private. Older ones are made so.
            for suffix in ("", "-wal", "-shm"):
                make_private(self.path.with_name(self.path.name + suffix))
            if not self.path.exists():
                open_private(self.path).close()  # an empty file is a new SQLite database
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            # WAL + NORMAL: safe against a crash of the process, no fsync per commit.
            self._db.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise CockpitError(
                f"cannot open the state store {self.path}: {exc} (set COCKPIT_STATE_DIR to a writable folder)"
            ) from None
        self._lock = threading.Lock()
        self._migrate()
        self.close_interrupted()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise CockpitError(
                    f"the state store {self.path} is from a newer ops-cockpit "
                    f"(schema {current}, this one knows {len(MIGRATIONS)}): upgrade ops-cockpit"
                )
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {version}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction at a time, from any thread."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- audit -----------------------------------------------------------------------------

    def audit_start(
        self,
        *,
        actor: str,
        sudo_user: str | None,
        ssh_client: str | None,
        host: str,
        target: str,
        action: str,
        params: dict[str, Any],
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO audit (started_at, actor, sudo_user, ssh_client, host, target,"
                " action, params, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_now(),
                    actor,
                    sudo_user,
                    ssh_client,
                    host,
                    target,
                    action,
                    json.dumps(params, default=str, sort_keys=True),
                    os.getpid(),
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def audit_end(self, record_id: int, result: AuditResult, detail: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE audit SET ended_at = ?, result = ?, detail = ? WHERE id = ?",
                (utc_now(), result, detail, record_id),
            )

    def close_interrupted(self) -> int:
        """Close as ``interrupted`` the ``running`` audit rows whose process is gone: a kill -9,
        a lost machine, an OOM kill never runs the guard's end, and no row may say `running`
        forever. Only this host's rows (another host's processes cannot be seen from here); a
        pid alive again (reused) keeps its row running, as it cannot be told apart. How many."""
        host = socket.gethostname()
        rows = self.query(
            "SELECT id, pid, started_at FROM audit WHERE result = ? AND host = ?", (AuditResult.RUNNING, host)
        )
        oldest = datetime.now(UTC) - UNKNOWN_PROCESS_AGE
        stale = []
        for record_id, pid, started_at in rows:
            if pid is None:
                if datetime.fromisoformat(started_at) < oldest:
                    stale.append((record_id, "its process is not known (recorded by an older version)"))
            elif pid != os.getpid() and not process_running(int(pid)):
                stale.append((record_id, f"its process (pid {pid} on {host}) ended without recording"))
        for record_id, why in stale:
            detail = f"interrupted: {why} a result (killed, or the machine went down)"
            with self.transaction() as db:
                db.execute(
                    "UPDATE audit SET ended_at = ?, result = ?, detail = ? WHERE id = ? AND result = ?",
                    (utc_now(), AuditResult.INTERRUPTED, detail, record_id, AuditResult.RUNNING),
                )
        return len(stale)

    def audit_records(self, limit: int = 100) -> list[AuditRecord]:
        rows = self.query(
            "SELECT id, started_at, ended_at, actor, sudo_user, ssh_client, host, target, action,"
            " params, result, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditRecord(
                id=row[0],
                started_at=row[1],
                ended_at=row[2],
                actor=row[3],
                sudo_user=row[4],
                ssh_client=row[5],
                host=row[6],
                target=row[7],
                action=row[8],
                params=json.loads(row[9]),
                result=AuditResult(row[10]),
                detail=row[11],
            )
            for row in rows
        ]

    # -- secrets index (names and times only) ------------------------------------------------

    def secret_stored(self, name: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO secrets_index (name, stored_at) VALUES (?, ?) ON CONFLICT(name) DO"
                " UPDATE SET previous_stored_at = stored_at, stored_at = excluded.stored_at",
                (name, utc_now()),
            )

    def secret_deleted(self, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM secrets_index WHERE name = ?", (name,))

    def secrets(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.query("SELECT name, stored_at FROM secrets_index ORDER BY name")]

    def rotation_recorded(self, name: str, *, actor: str, revoke_by: str) -> Rotation:
        """Record a rotation of ``name`` now; the previous key awaits revocation until ``revoke_by``."""
        previous = self.query("SELECT stored_at FROM secrets_index WHERE name = ?", (name,))
        rotated_at = utc_now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO secret_rotations (name, rotated_at, actor, previous_stored_at, revoke_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, rotated_at, actor, previous[0][0] if previous else None, revoke_by),
            )
        return Rotation(name, rotated_at, actor, previous[0][0] if previous else None, revoke_by, None)

    def revocation_recorded(self, name: str) -> int:
        """Mark the previous keys of ``name`` revoked; how many were awaiting it."""
        with self.transaction() as db:
            done = db.execute(
                "UPDATE secret_rotations SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (utc_now(), name),
            )
            return done.rowcount

    def rotations(self) -> list[Rotation]:
        """Each secret's latest rotation, and every earlier one whose old key is not revoked."""
        rows = self.query(
            "SELECT name, rotated_at, actor, previous_stored_at, revoke_by, revoked_at"
            " FROM secret_rotations r WHERE revoked_at IS NULL"
            " OR rotated_at = (SELECT max(rotated_at) FROM secret_rotations WHERE name = r.name)"
            " ORDER BY name, rotated_at"
        )
        return [Rotation(*row) for row in rows]

    # -- UI state (last tab, and so on: lets a dropped SSH session resume) --------------------

    def get_ui(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM ui_state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_ui(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO ui_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                " SET value = excluded.value",
                (key, value),
            )
