"""Run a backup: pg_dump streamed straight into a store, with its checksum and row counts.

The dump never touches local disk: pg_dump's standard output is read in 1 MiB chunks, hashed
(SHA-256) on the way and handed to the store's upload (an S3 multipart upload, or a folder's
hidden temporary file), so memory stays constant whatever the database's size. A session of the
cockpit's own opens a REPEATABLE READ transaction, exports its snapshot for pg_dump
(``--snapshot``) and counts every table's rows in that same snapshot: the counts in the manifest
are exactly what the dump holds, which is what a verification compares a restore against.
Cancel kills pg_dump; the upload is then aborted, and nothing shows up as a backup. What a
killed run left (a hidden temporary file, an unfinished multipart upload) is removed by the next.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.backups.inventory import MANIFEST_SUFFIX
from cockpit.backups.store import Store, open_store
from cockpit.config import BackupStore, Database
from cockpit.db import sql
from cockpit.db.pg_tools import client_connection, find_tool, server_error
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import ActionCancelled, CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.units import format_size

if TYPE_CHECKING:
    import psycopg

CHUNK = 1 << 20
# pg_dump's own gzip at level 1, which every pg_dump (13-18) has: compressing is what a dump's
# time goes on, and level 1 takes about a third of the default level's time for a dump about 5 %
# larger (bench/backup_throughput.py). Recorded in the manifest; pg_restore reads any level.
COMPRESSION = "gzip:1"
# pg_dump's "Query was: LOCK TABLE a, b IN ACCESS SHARE MODE" after its --lock-wait-timeout,
# which it applies as a statement timeout
_LOCK_TABLE = re.compile(r"LOCK TABLE (.+?) IN ACCESS SHARE MODE")


@dataclass(frozen=True, slots=True)
class BackupResult:
    key: str
    size: int
    sha256: str
    seconds: float
    manifest: dict[str, Any]


def store_database(store: BackupStore, databases: list[Database]) -> Database:
    """The database a store backs up: the one it names, else the target's first."""
    if not databases:
        raise CockpitError("the target has no database to back up: add [[targets.NAME.databases]]")
    for database in databases:
        if store.database in (None, database.name):
            return database
    names = ", ".join(d.name for d in databases)
    raise CockpitError(f"store {store.name}: no database {store.database!r} (configured: {names})")


def backup_request(store: BackupStore, database: Database) -> ActionRequest:
    return ActionRequest(
        action="backup.run",
        summary=f"Back up {database.name} to {store.name}",
        params={"store": store.name, "database": database.name},
        button=f"Back up to {store.name}",
        changes_target=False,  # pg_dump reads: require_window does not hold a backup back
    )


class TableLocked(CockpitError):
    """A table the backup reads (one of ``tables``) stayed locked past lock_timeout."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(f"{', '.join(tables)} locked")
        self.tables = tables


def count_rows(conn: psycopg.Connection[Any]) -> dict[str, int]:
    import psycopg

    counts = {}
    for table in [row[0] for row in conn.execute(sql.load("list_dump_tables.sql")).fetchall()]:
        try:
            counts[table] = int(conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()[0])  # type: ignore[index]
        except psycopg.errors.LockNotAvailable:
            raise TableLocked([table]) from None
    return counts


def _gave_up(database: Database, policy: SessionPolicy, tables: list[str]) -> str:
    """A lock timeout as the Bloat actions say it: the table, and who holds it. pg_dump locks
    every table in one statement: the table named is the one another session holds."""
    import psycopg

    from cockpit.probes.lock_holders import RELEASED, lock_holders

    held = []
    with connect(database, policy) as watch:
        for table in tables:
            try:
                held.append((table, lock_holders(watch, table, "AccessShareLock")))
            except psycopg.Error:  # a name split wrongly out of pg_dump's list (a comma in it)
                continue
    table, holders = next(((t, h) for t, h in held if h != RELEASED), (", ".join(tables), RELEASED))
    return (
        f"backup of {database.name} gave up after lock_timeout ({policy.lock_timeout_ms} ms) waiting "
        f"for {table} instead of queueing: held by {holders}"
    )


def run_backup(
    context: ActionContext, store_config: BackupStore, database: Database, policy: SessionPolicy
) -> BackupResult:
    store = open_store(store_config)
    started = time.monotonic()
    removed = remove_leftovers(context, store)
    created = datetime.now(UTC)
    key = f"{created:%Y-%m-%dT%H%M%SZ}.dump"
    conn = connect(database, policy)
    try:
        conn.execute("SET statement_timeout = 0")  # counting a big table is not a monitor's query
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = str(conn.execute(sql.load("export_snapshot.sql")).fetchone()[0])  # type: ignore[index]
        server_major = int(conn.info.server_version // 10000)
        expected = int(conn.execute(sql.load("read_database_size.sql")).fetchone()[0])  # type: ignore[index]
        context.progress("counting rows in the dump's snapshot")
        row_counts = count_rows(conn)
        tool = find_tool("pg_dump", server_major)
        conninfo, env = client_connection(database)  # the password in env, never in argv (ps)
        command = [str(tool.path), "-Fc", "--compress=1", "--snapshot", snapshot, "-d", conninfo,
                   "--no-password", f"--lock-wait-timeout={policy.lock_timeout_ms}"]  # fmt: skip
        size, sha256 = _stream(context, command, env, store, key, expected=expected, started=started)
    except ActionCancelled:
        raise ActionCancelled(f"backup to {store_config.name} cancelled: nothing was kept") from None
    except TableLocked as locked:
        raise CockpitError(_gave_up(database, policy, locked.tables)) from None
    except Exception as exc:
        if isinstance(exc, CockpitError):
            raise
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise CockpitError(describe_error(database, exc)) from None
        raise
    finally:
        conn.close()
    manifest = {
        "key": key,
        "database": database.name,
        "format": "custom",
        "compression": COMPRESSION,
        "size": size,
        "sha256": sha256,
        "created_at": created.isoformat(timespec="seconds"),
        "tool": tool.describe(),
        "server_major": server_major,
        "row_counts": row_counts,
        "verified_at": None,
    }
    store.write_json(key + MANIFEST_SUFFIX, manifest)
    seconds = time.monotonic() - started
    context.result_detail = (
        f"{store_config.name}/{key}: {format_size(size)} in {seconds:.1f}s with {tool.describe()}, "
        f"sha256 {sha256[:12]}..., {len(row_counts)} tables counted"
        + (f"; removed {removed} left by interrupted runs" if removed else "")
    )
    return BackupResult(key, size, sha256, seconds, manifest)


def remove_leftovers(context: ActionContext, store: Store) -> str:
    """Remove what interrupted writes left in the store (backup_store.Leftover); which, in a few
    words for the result ('2 unfinished write(s), 1.2 kB'), or '' when there was nothing."""
    leftovers = store.leftovers()
    for leftover in leftovers:
        context.progress(f"removing {leftover.key}, left by an interrupted run ({leftover.why})")
        store.remove_leftover(leftover)
    if not leftovers:
        return ""
    return f"{len(leftovers)} unfinished write(s), {format_size(sum(x.size for x in leftovers))}"


def _stream(
    context: ActionContext,
    command: list[str],
    env: dict[str, str],
    store: Store,
    key: str,
    *,
    expected: int,
    started: float,
) -> tuple[int, str]:
    """pg_dump's output into the store, hashed on the way: (bytes, sha256). Any failure or a
    cancel kills pg_dump and aborts the upload."""
    digest = hashlib.sha256()
    tool = Path(command[0]).name
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:  # the context closes both pipes and reaps pg_dump, whatever happens
        assert process.stdout is not None and process.stderr is not None
        stderr: list[bytes] = []
        errors = process.stderr
        drain = threading.Thread(target=lambda: stderr.append(errors.read()))
        drain.start()
        output = process.stdout

        def chunks() -> Iterator[bytes]:
            done = 0
            while data := output.read(CHUNK):
                digest.update(data)
                done += len(data)
                elapsed = time.monotonic() - started
                context.progress(
                    f"{tool} -> {store.name}: {format_size(done)}, "
                    f"{format_size(done / max(elapsed, 1e-3))}/s, {elapsed:.0f}s",
                    None,
                )
                yield data
            if process.wait() != 0:
                drain.join()
                said = b"".join(stderr).decode(errors="replace")
                locked = _LOCK_TABLE.search(said) if "canceling statement" in said else None
                if locked is not None:
                    raise TableLocked([t.strip() for t in locked.group(1).split(",")])
                raise CockpitError(f"pg_dump failed: {server_error(said)}")

        try:
            size = store.upload(key, chunks(), expected_size=expected)
        except BaseException:
            process.kill()
            raise
        finally:
            drain.join(5)
    return size, digest.hexdigest()
