"""CSV exports into the sandbox's S3 and a folder, and verification on a separate scratch server."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import psycopg
import pytest

from cockpit.backups.export import export_request, run_export
from cockpit.backups.inventory import inventory
from cockpit.backups.run import backup_request, run_backup
from cockpit.backups.store import S3Store
from cockpit.backups.verify import verify_backup, verify_request
from cockpit.config import BackupStore, Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionCancelled, CockpitError
from cockpit.guard import CancelToken, Confirmation, Guard
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.sandbox.s3 import BUCKET
from cockpit.state import StateStore
from tests.integration.test_backups import app, s3_store

YES = Confirmation(confirmed=True)
TABLES = ["public.profiles", "audit_log"]  # a bare name resolves through the search_path


def count(sandbox: Sandbox, table: str) -> int:
    with psycopg.connect(sandbox.postgres.dsn()) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


@pytest.mark.usefixtures("s3_env")
def test_an_export_streams_each_table_as_csv_with_its_manifest(sandbox: Sandbox, store: StateStore) -> None:
    config = s3_store(sandbox)
    guard = Guard(target="sandbox", store=store, read_only=False)
    result = guard.run(
        export_request(config, app(sandbox), TABLES), YES,
        lambda c: run_export(c, config, app(sandbox), TABLES, SessionPolicy()),
    )  # fmt: skip
    assert [t.table for t in result.tables] == ["public.profiles", "public.audit_log"]
    s3 = S3Store(config)
    manifest = s3.read_json(result.folder + "export.json")
    for exported in result.tables:
        body = s3.client.get_object(Bucket=BUCKET, Key=config.prefix + exported.key)["Body"].read()
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0][0] == "id"  # the header
        assert len(rows) - 1 == exported.rows == count(sandbox, exported.table)
        assert manifest["tables"][exported.table]["rows"] == exported.rows
        assert manifest["tables"][exported.table]["size"] == len(body)
    found = inventory(config)
    assert [e.key for e in found.exports] == [result.folder] and found.foreign == []
    manifest_size = s3.client.head_object(Bucket=BUCKET, Key=config.prefix + result.folder + "export.json")
    assert found.exports[0].size == sum(t.size for t in result.tables) + manifest_size["ContentLength"]
    assert [(r.action, r.result) for r in store.audit_records()] == [("backup.export", "ok")]


def test_an_unknown_table_fails_before_anything_is_written(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    (tmp_path / "exports").mkdir()
    config = BackupStore(name="folder", kind="folder", path=str(tmp_path / "exports"))
    guard = Guard(target="sandbox", store=store, read_only=False)
    tables = ["public.profiles", "public.no_such_table"]
    with pytest.raises(CockpitError, match=r"no table 'public.no_such_table' in database app"):
        guard.run(
            export_request(config, app(sandbox), tables), YES,
            lambda c: run_export(c, config, app(sandbox), tables, SessionPolicy()),
        )  # fmt: skip
    assert list((tmp_path / "exports").rglob("*")) == []


def test_a_cancelled_export_keeps_no_file(sandbox: Sandbox, store: StateStore, tmp_path: Path) -> None:
    """The cancel lands while the second table streams: the first, complete, is deleted too."""
    (tmp_path / "exports").mkdir()
    config = BackupStore(name="folder", kind="folder", path=str(tmp_path / "exports"))
    token = CancelToken()

    def on_progress(update) -> None:  # type: ignore[no-untyped-def]
        if "public.audit_log" in update.message:
            token.cancel()

    with pytest.raises(ActionCancelled, match="nothing was kept"):
        Guard(target="sandbox", store=store, read_only=False).run(
            export_request(config, app(sandbox), TABLES), YES,
            lambda c: run_export(c, config, app(sandbox), TABLES, SessionPolicy()),
            cancel=token, on_progress=on_progress,
        )  # fmt: skip
    assert [p for p in (tmp_path / "exports").rglob("*") if p.is_file()] == []
    assert inventory(config).exports == []


@pytest.mark.usefixtures("s3_env")
def test_verification_restores_on_the_configured_scratch_server(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    """The backed-up server's role may not create databases: verifying there fails, verifying on
    the store's scratch server (a second embedded PostgreSQL) succeeds and leaves no scratch db."""
    role = f"backup_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOCREATEDB IN ROLE pg_read_all_data")
    scratch = SandboxPostgres(tmp_path / "scratch")
    scratch.init()
    scratch.start()
    try:
        database = Database(name="app", dsn=sandbox.postgres.dsn(user=role))
        guard = Guard(target="sandbox", store=store, read_only=False)
        here = s3_store(sandbox)
        key = guard.run(
            backup_request(here, database), YES, lambda c: run_backup(c, here, database, SessionPolicy())
        ).key
        with pytest.raises(CockpitError, match="permission denied to create database"):
            guard.run(
                verify_request(here, key), YES,
                lambda c: verify_backup(c, here, key, database, SessionPolicy()),
            )  # fmt: skip
        there = s3_store(sandbox, prefix=here.prefix, scratch_dsn=scratch.dsn("postgres"))
        assert "scratch server" in verify_request(there, key).summary
        verified = guard.run(
            verify_request(there, key), YES,
            lambda c: verify_backup(c, there, key, database, SessionPolicy()),
        )  # fmt: skip
        assert verified.ok and "row counts match" in verified.detail
        with psycopg.connect(scratch.dsn("postgres")) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'cockpit_verify_%'")
            assert left.fetchall() == []
    finally:
        scratch.stop()
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")
