"""Export chosen tables as CSV into a store: the runbooks' ``COPY ... TO`` CSV export, streamed.

Every table is copied in one REPEATABLE READ READ ONLY transaction, so the files agree with each
other; each ``COPY ... TO STDOUT (FORMAT csv, HEADER)`` streams from the server straight into the
store (S3 multipart or a folder's temporary file), hashed on the way, never held in memory or on
local disk. An export lives under ``exports/<time>/``: one ``<schema>.<table>.csv`` per table and,
written last, ``export.json`` with each file's rows, bytes and SHA-256. A failure or a cancel
deletes the files already written: a half export is not left looking like a whole one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cockpit.backups.inventory import EXPORT_MANIFEST, EXPORT_PREFIX
from cockpit.backups.store import Store, open_store
from cockpit.config import BackupStore, Database
from cockpit.db import sql
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import ActionCancelled, CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.units import format_size

if TYPE_CHECKING:
    import psycopg

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ExportedTable:
    table: str  # schema.table, as written in the file name
    key: str
    rows: int
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    folder: str
    tables: list[ExportedTable]
    seconds: float


def export_tables(store: BackupStore, override: list[str] | None = None) -> list[str]:
    """The tables to export: ``override`` (a CLI's ``--table``), else the store's ``export_tables``."""
    tables = list(override or store.export_tables)
    if not tables:
        raise CockpitError(
            f'store {store.name}: no table to export: add export_tables = ["public.orders"] to it, '
            "or name them with --table"
        )
    return tables


def export_request(store: BackupStore, database: Database, tables: list[str]) -> ActionRequest:
    return ActionRequest(
        action="backup.export",
        summary=f"Export {len(tables)} table(s) of {database.name} as CSV to {store.name}: "
        + ", ".join(tables),
        params={"store": store.name, "database": database.name, "tables": tables},
        button=f"Export to {store.name}",
        changes_target=False,  # COPY ... TO reads the target; the files go to the store
    )


def run_export(
    context: ActionContext,
    store_config: BackupStore,
    database: Database,
    tables: list[str],
    policy: SessionPolicy,
) -> ExportResult:
    store = open_store(store_config)
    started = time.monotonic()
    created = datetime.now(UTC)
    folder = f"{EXPORT_PREFIX}{created:%Y-%m-%dT%H%M%SZ}/"
    written: list[ExportedTable] = []
    conn = connect(database, policy)
    try:
        conn.execute("SET statement_timeout = 0")  # a big table's COPY is not a monitor's query
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for quoted, plain in _resolve(conn, database, tables):
            written.append(
                _copy_table(context, conn, store, folder=folder, quoted=quoted, plain=plain, started=started)
            )
        conn.rollback()
        store.write_json(
            folder + EXPORT_MANIFEST,
            {
                "database": database.name,
                "format": "csv",
                "created_at": created.isoformat(timespec="seconds"),
                "tables": {
                    t.table: {"key": t.key, "rows": t.rows, "size": t.size, "sha256": t.sha256}
                    for t in written
                },
            },
        )
    except BaseException as exc:
        for table in written:  # the files already complete: no half export left behind
            store.delete(table.key)
        if isinstance(exc, ActionCancelled):
            raise ActionCancelled(f"export to {store_config.name} cancelled: nothing was kept") from None
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise CockpitError(describe_error(database, exc)) from None
        raise
    finally:
        conn.close()
    seconds = time.monotonic() - started
    rows = sum(t.rows for t in written)
    context.result_detail = (
        f"{store_config.name}/{folder}: {len(written)} table(s), {rows:,} rows, "
        f"{format_size(sum(t.size for t in written))} in {seconds:.1f}s"
    )
    return ExportResult(folder, written, seconds)


def _resolve(conn: psycopg.Connection[Any], database: Database, tables: list[str]) -> list[tuple[str, str]]:
    """Each name as the server knows it (quoted for SQL, plain for a file name); unknown names fail
    before anything is written."""
    resolved = []
    for name in tables:
        row = conn.execute(sql.load("resolve_table.sql"), {"name": name}).fetchone()
        if row is None:
            raise CockpitError(
                f"no table {name!r} in database {database.name}: check export_tables (schema.table)"
            )
        resolved.append((str(row[0]), str(row[1])))
    return resolved


def _copy_table(
    context: ActionContext,
    conn: psycopg.Connection[Any],
    store: Store,
    *,
    folder: str,
    quoted: str,
    plain: str,
    started: float,
) -> ExportedTable:
    key = f"{folder}{plain.replace('/', '%2F')}.csv"  # a quoted name may hold a slash
    digest = hashlib.sha256()
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {quoted} TO STDOUT (FORMAT csv, HEADER)".encode()) as copy:

            def chunks() -> Iterator[bytes]:
                """COPY hands over one row at a time: gathered into 1 MiB blocks for the store."""
                done = 0
                block = bytearray()
                for data in copy:
                    block += data
                    if len(block) >= CHUNK:
                        done += len(block)
                        context.progress(
                            f"COPY {plain} -> {store.name}: {format_size(done)}, "
                            f"{time.monotonic() - started:.0f}s"
                        )
                        digest.update(block)
                        yield bytes(block)
                        block.clear()
                context.progress(f"COPY {plain} -> {store.name}: done")
                digest.update(block)
                yield bytes(block)

            size = store.upload(key, chunks())
        rows = cursor.rowcount
    return ExportedTable(plain, key, rows, size, digest.hexdigest())
