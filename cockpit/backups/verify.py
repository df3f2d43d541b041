"""Verify a backup: the runbooks' "test restore procedures regularly", done for real.

Download the dump (SHA-256 checked on the way, to a temporary file that is always removed),
pg_restore it into a scratch database (on the same server, or the store's ``scratch_dsn`` server
when production must not carry a restore's load), compare each table's row count with
the counts taken in the dump's own snapshot, and drop the scratch database whatever happened.
The restore's duration is the measured RTO, the backup's age the RPO it gives. The result goes
into the manifest (so the inventory shows it) and into the audit trail.

The restore role needs only CREATEDB (README, "Database roles"): the scratch database is its
own, restored ``--no-owner --no-privileges``. What such a role cannot create is left out of the
restore and said in the result: the dump's extensions that are not trusted (pg_stat_statements,
pgstattuple: only a superuser creates them) or not installed on the scratch server. They hold no
rows of the tables compared; a table that needs one (a column of its type) then fails the
restore, with the server's ERROR line and the extension named.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cockpit.backups.inventory import MANIFEST_SUFFIX
from cockpit.backups.run import count_rows
from cockpit.backups.store import open_store
from cockpit.config import BackupStore, Database
from cockpit.db import sql
from cockpit.db.pg_tools import PgTool, client_connection, find_tool, server_error
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.units import format_duration, format_size

# pg_restore -l lines of an extension and of its comment: "2; 3079 16612 EXTENSION - name"
_TOC_EXTENSION = re.compile(r"^\d+; \d+ \d+ (?:COMMENT - )?EXTENSION (?:- )?(\S+)")


@dataclass(frozen=True, slots=True)
class Verification:
    key: str
    ok: bool
    detail: str
    rto_s: float
    rpo_s: float


def verify_request(store: BackupStore, key: str) -> ActionRequest:
    return ActionRequest(
        action="backup.verify",
        summary=f"Verify {store.name}/{key} (restore into a scratch database"
        + (" on the store's scratch server" if store.scratch_dsn else "")
        + ", then drop it)",
        params={"store": store.name, "key": key},
        button=f"Verify {key}",
        # A restore on the target's own server creates a database there and loads it: a change
        # a window is for. On the store's scratch server, the target is not touched.
        changes_target=not store.scratch_dsn,
    )


class _HashingFile:
    """Writes to ``file`` and hashes what it writes (SHA-256)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def write(self, data: bytes, /) -> int:
        self.digest.update(data)
        return self.file.write(data)


def verify_backup(
    context: ActionContext, store_config: BackupStore, key: str, database: Database, policy: SessionPolicy
) -> Verification:
    store = open_store(store_config)
    manifest = store.read_json(key + MANIFEST_SUFFIX)
    with tempfile.TemporaryDirectory(prefix="cockpit-verify-") as folder:
        path = Path(folder) / "backup.dump"
        done = 0
        with path.open("wb") as file:
            sink = _HashingFile(file)  # hashed as it is written: the file is read once, by pg_restore
            for size in store.download(key, sink):
                done += size
                context.progress(f"downloading {key}: {format_size(done)}", None)
        digest = sink.digest
        if manifest.get("sha256") and digest.hexdigest() != manifest["sha256"]:
            verification = Verification(
                key, False, f"checksum mismatch: {digest.hexdigest()[:12]}... is not the manifest's "
                f"{str(manifest['sha256'])[:12]}...", 0.0, 0.0,
            )  # fmt: skip
        else:
            verification = _restore_and_compare(
                context, key, path, manifest, server=scratch_server(store_config, database), policy=policy
            )
    _record(store, key, manifest, verification)
    context.result_detail = verification.detail
    if not verification.ok:
        raise CockpitError(f"verification of {store_config.name}/{key} failed: {verification.detail}")
    return verification


def scratch_server(store: BackupStore, database: Database) -> Database:
    """Where the scratch database is created: the store's ``scratch_dsn`` server (a database there
    to connect to, e.g. postgres), else the backed-up server itself."""
    if not store.scratch_dsn:
        return database
    return Database(
        name=f"{store.name} scratch server", dsn=store.scratch_dsn, password=store.scratch_password
    )


def _restore_and_compare(
    context: ActionContext,
    key: str,
    path: Path,
    manifest: dict[str, Any],
    *,
    server: Database,
    policy: SessionPolicy,
) -> Verification:
    scratch = f"cockpit_verify_{uuid.uuid4().hex[:8]}"
    admin = connect(server, policy)
    try:
        # pg_restore must read the archive (as new as the dump's server) and talk to this server.
        server_major = max(int(admin.info.server_version // 10000), int(manifest.get("server_major") or 0))
        tool = find_tool("pg_restore", server_major)
        role = admin.info.user
        creatable = {str(r[0]) for r in admin.execute(sql.load("list_creatable_extensions.sql")).fetchall()}
        try:
            listing, skipped = _restore_list(tool, path, creatable)
        except CockpitError as exc:
            return Verification(key, False, str(exc), 0.0, 0.0)
        admin.execute(f'CREATE DATABASE "{scratch}"'.encode())
        try:
            context.progress(f"restoring into {scratch} with {tool.path.name} {tool.version}", None)
            began = time.monotonic()
            conninfo, env = client_connection(server, dbname=scratch)  # no password in argv (ps)
            restore = subprocess.run(
                [str(tool.path), "--no-owner", "--no-privileges", "--no-subscriptions", "--exit-on-error",
                 "-L", str(listing), "-d", conninfo, str(path)],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            rto = time.monotonic() - began
            if restore.returncode != 0:
                failed = f"pg_restore failed: {server_error(restore.stderr)}"
                if skipped:
                    failed += f"; left out: extension {', '.join(skipped)}, which {role} may not create"
                return Verification(key, False, failed, rto, 0.0)
            with connect(server, policy, dbname=scratch) as conn:
                conn.execute("SET statement_timeout = 0")
                restored = count_rows(conn)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'.encode())
    except CockpitError:
        raise
    except Exception as exc:
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise CockpitError(describe_error(server, exc)) from None
        raise
    finally:
        admin.close()
    expected: dict[str, int] = manifest.get("row_counts") or {}
    created = datetime.fromisoformat(str(manifest.get("created_at")))
    rpo = (datetime.now(UTC) - created).total_seconds()
    differing = [f"{t}: {restored.get(t)} of {n}" for t, n in expected.items() if restored.get(t) != n]
    if differing:
        return Verification(key, False, "row counts differ: " + "; ".join(differing[:5]), rto, rpo)
    checked = f"{len(expected)} tables' row counts match" if expected else "restored (no row counts recorded)"
    if skipped:
        many = len(skipped) > 1
        checked += (
            f"; not restored: extension{'s' if many else ''} {', '.join(skipped)} (role {role} may not "
            f"create {'them' if many else 'it'}: untrusted or not installed there; "
            f"{'they hold' if many else 'it holds'} none of the rows compared)"
        )
    return Verification(
        key,
        True,
        f"sha256 ok, {checked}; restore {rto:.1f}s (RTO), backup {format_duration(rpo)} old (RPO)",
        rto,
        rpo,
    )


def _restore_list(tool: PgTool, dump: Path, creatable: set[str]) -> tuple[Path, list[str]]:
    """The dump's table of contents (``pg_restore -l``) beside it, with the extensions the
    scratch role cannot create commented out (``-L`` then skips them); and their names."""
    listed = subprocess.run(
        [str(tool.path), "-l", str(dump)], capture_output=True, text=True, check=False, timeout=300
    )
    if listed.returncode != 0:
        raise CockpitError(f"pg_restore cannot read {dump.name}: {server_error(listed.stderr)}")
    skipped: list[str] = []
    lines = []
    for entry in listed.stdout.splitlines():
        found = _TOC_EXTENSION.match(entry)
        if found is not None and found.group(1) not in creatable:
            if found.group(1) not in skipped:
                skipped.append(found.group(1))
            lines.append(";" + entry)  # a comment in a restore list: not restored
        else:
            lines.append(entry)
    listing = dump.with_suffix(".list")
    listing.write_text("\n".join(lines) + "\n")
    return listing, skipped


def _record(store: Any, key: str, manifest: dict[str, Any], verification: Verification) -> None:
    manifest = {
        **manifest,
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "verify_result": "ok" if verification.ok else "failed",
        "verify_detail": verification.detail,
        "rto_s": round(verification.rto_s, 2),
        "rpo_s": round(verification.rpo_s),
    }
    store.write_json(key + MANIFEST_SUFFIX, manifest)
