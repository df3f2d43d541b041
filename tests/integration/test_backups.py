"""Backups against the sandbox's real S3 (SeaweedFS) and a folder: run, verify, failures, cancel.

Each test writes under a prefix (or folder) of its own, so the sandbox's seeded backups stay as
the demo shows them.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import psycopg
import pytest

from cockpit.backups.inventory import StoreReader, inventory, judge
from cockpit.backups.run import backup_request, run_backup
from cockpit.backups.store import S3Store
from cockpit.backups.verify import verify_backup, verify_request
from cockpit.config import BackupStore, Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionCancelled, ActionRefused, CockpitError
from cockpit.guard import CancelToken, Confirmation, Guard
from cockpit.model import Severity
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.s3 import BUCKET
from cockpit.state import StateStore
from tests.conftest import clean_env, own_database
from tests.estate import OPERATOR, RESTORE, EstateRoles

YES = Confirmation(confirmed=True)


def s3_store(sandbox: Sandbox, **overrides: str) -> BackupStore:
    options = {"prefix": f"test-{uuid.uuid4().hex[:8]}/", "bucket": BUCKET, **overrides}
    return BackupStore(name="s3", kind="s3", endpoint_url=sandbox.s3.endpoint, **options)  # type: ignore[arg-type]


def app(sandbox: Sandbox) -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn())


def backup_and_verify(store: BackupStore, sandbox: Sandbox, guard: Guard) -> tuple[str, str]:
    result = guard.run(
        backup_request(store, app(sandbox)),
        YES,
        lambda c: run_backup(c, store, app(sandbox), SessionPolicy()),
    )
    verification = guard.run(
        verify_request(store, result.key), YES,
        lambda c: verify_backup(c, store, result.key, app(sandbox), SessionPolicy()),
    )  # fmt: skip
    return result.key, verification.detail


@pytest.mark.usefixtures("s3_env")
def test_an_s3_backup_then_its_verification(sandbox: Sandbox, store: StateStore) -> None:
    config = s3_store(sandbox)
    key, detail = backup_and_verify(config, sandbox, Guard(target="sandbox", store=store, read_only=False))
    with psycopg.connect(sandbox.postgres.dsn()) as conn:
        profiles = conn.execute("SELECT count(*) FROM profiles").fetchone()
    manifest = S3Store(config).read_json(key + ".manifest.json")
    assert manifest["row_counts"]["public.profiles"] == profiles[0]  # type: ignore[index]
    assert manifest["tool"].startswith("pg_dump 18") and manifest["verify_result"] == "ok"
    assert manifest["compression"] == "gzip:1"  # what the dump was written with, restored as is
    assert f"{len(manifest['row_counts'])} tables' row counts match" in detail and "(RTO)" in detail
    found = inventory(config)
    assert [b.key for b in found.backups] == [key] and found.backups[0].verify_ok
    assert {f.check: f.severity for f in judge(found)} == {
        "backup.age": Severity.OK,
        "backup.verified": Severity.OK,
    }
    assert [(r.action, r.result) for r in store.audit_records()] == [
        ("backup.verify", "ok"),
        ("backup.run", "ok"),
    ]
    with psycopg.connect(sandbox.postgres.dsn()) as conn:  # the scratch database is gone
        assert conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'cockpit_verify_%'"
        ).fetchone() == (0,)


def test_a_folder_backup_then_its_verification(sandbox: Sandbox, store: StateStore, tmp_path: Path) -> None:
    config = BackupStore(name="folder", kind="folder", path=str(tmp_path / "backups"), prefix="app/")
    key, detail = backup_and_verify(config, sandbox, Guard(target="sandbox", store=store, read_only=False))
    files = sorted(p.name for p in (tmp_path / "backups" / "app").iterdir())
    assert files == [key, key + ".manifest.json"]  # no temporary file left behind
    assert "row counts match" in detail


@pytest.mark.usefixtures("s3_env")
def test_a_corrupted_object_fails_its_checksum(sandbox: Sandbox, store: StateStore) -> None:
    config = s3_store(sandbox)
    guard = Guard(target="sandbox", store=store, read_only=False)
    result = guard.run(
        backup_request(config, app(sandbox)),
        YES,
        lambda c: run_backup(c, config, app(sandbox), SessionPolicy()),
    )
    client = S3Store(config).client
    body = bytearray(client.get_object(Bucket=BUCKET, Key=config.prefix + result.key)["Body"].read())
    body[len(body) // 2] ^= 0xFF  # one flipped byte in the middle of the dump
    client.put_object(Bucket=BUCKET, Key=config.prefix + result.key, Body=bytes(body))
    with pytest.raises(CockpitError, match="checksum mismatch"):
        guard.run(
            verify_request(config, result.key), YES,
            lambda c: verify_backup(c, config, result.key, app(sandbox), SessionPolicy()),
        )  # fmt: skip
    verified = [f for f in judge(inventory(config)) if f.check == "backup.verified"]
    assert verified[0].severity is Severity.CRIT and "checksum mismatch" in verified[0].message


def test_wrong_credentials_a_missing_bucket_and_access_denied_say_so(
    sandbox: Sandbox, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "wrong")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    (refused,) = judge(inventory(s3_store(sandbox)))
    assert refused.severity is Severity.CRIT and "credentials refused" in refused.message
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.secret_key)
    (missing,) = judge(inventory(s3_store(sandbox, bucket="no-such-bucket")))
    assert missing.message.endswith("listing: no such bucket: check `bucket`")
    # A reader (Read, List only) lists fine, and is denied the upload: nothing is left behind.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.reader_secret)
    config = s3_store(sandbox)
    assert inventory(config).error == ""
    guard = Guard(target="sandbox", store=store, read_only=False)
    with pytest.raises(CockpitError, match="access denied: grant s3:ListBucket, GetObject and PutObject"):
        guard.run(
            backup_request(config, app(sandbox)),
            YES,
            lambda c: run_backup(c, config, app(sandbox), SessionPolicy()),
        )
    assert inventory(config).objects == 0


@pytest.mark.usefixtures("s3_env")
def test_a_cancel_mid_upload_leaves_no_backup(sandbox: Sandbox, store: StateStore) -> None:
    config = s3_store(sandbox)
    guard = Guard(target="sandbox", store=store, read_only=False)
    token = CancelToken()
    seen: list[str] = []

    def on_progress(update) -> None:  # type: ignore[no-untyped-def]
        seen.append(update.message)
        if "B/s, " in update.message:  # the first chunk of the dump is on its way (its rate)
            token.cancel()

    with pytest.raises(ActionCancelled, match="nothing was kept"):
        guard.run(
            backup_request(config, app(sandbox)), YES,
            lambda c: run_backup(c, config, app(sandbox), SessionPolicy()),
            cancel=token, on_progress=on_progress,
        )  # fmt: skip
    assert any("B/s, " in m for m in seen)
    assert inventory(config).objects == 0
    uploads = S3Store(config).client.list_multipart_uploads(Bucket=BUCKET, Prefix=config.prefix)
    assert uploads.get("Uploads", []) == []  # aborted, not left to accrue
    assert store.audit_records()[0].result == "cancelled"


def test_read_only_refuses_backups_and_verifications(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    (tmp_path / "backups").mkdir()
    config = BackupStore(name="folder", kind="folder", path=str(tmp_path / "backups"))
    guard = Guard(target="sandbox", store=store, read_only=True)
    for request in (backup_request(config, app(sandbox)), verify_request(config, "x.dump")):
        assert not guard.offers(request)
        with pytest.raises(ActionRefused, match="read-only"):
            guard.run(request, YES, lambda c: pytest.fail("ran"))
    assert list((tmp_path / "backups").iterdir()) == []


def test_backup_cli_for_cron(sandbox: Sandbox, run_cockpit, tmp_path: Path) -> None:
    config = tmp_path / "cockpit.toml"
    config.write_text(
        re.sub(
            r'path = ".*backups-folder/app"', f'path = "{tmp_path}/folder"', sandbox.config_path.read_text()
        )
    )
    env = clean_env(AWS_ACCESS_KEY_ID=sandbox.s3.access_key, AWS_SECRET_ACCESS_KEY=sandbox.s3.secret_key)
    listed = run_cockpit("backup", "list", "--config", str(config), "--store", "folder", env=env)
    assert listed.returncode == 2 and "folder does not exist" in listed.stdout  # a store error: crit
    (tmp_path / "folder").mkdir()
    ran = run_cockpit("backup", "run", "--config", str(config), "--store", "folder", env=env)
    assert ran.returncode == 0, ran.stderr
    verified = run_cockpit(
        "backup", "verify", "--config", str(config), "--store", "folder", "--latest", env=env
    )
    assert verified.returncode == 0 and "row counts match" in verified.stdout, verified.stderr
    listed = run_cockpit("backup", "list", "--config", str(config), "--store", "folder", env=env)
    assert listed.returncode == 0 and "verified 20" in listed.stdout
    # Every time with its zone, in the lines and in the JSON.
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith("  20")]
    assert re.fullmatch(
        r"  \S+\.dump +[\d.]+ [kMGT]?B  \S+ \d\d:\d\d UTC  verified \S+ \d\d:\d\d UTC ok", line
    ), line
    as_json = run_cockpit("backup", "list", "--config", str(config), "--store", "folder", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["status"] == "ok" and [s["store"] for s in body["stores"]] == ["folder"]
    (backup,) = body["stores"][0]["backups"]
    assert backup["verify_result"] == "ok" and backup["created_at"].endswith("+00:00")
    assert datetime.fromisoformat(backup["verified_at"]).utcoffset() == timedelta(0)
    assert {f["check"] for f in body["stores"][0]["findings"]} == {"backup.age", "backup.verified"}


def newer_backups(config: BackupStore, verified: str, hours: int) -> list[str]:
    """``hours`` hourly backups after ``verified``, written after its verification: its dump
    (copied in the store) with its manifest as `cockpit backup run` wrote it (no verification)."""
    client = S3Store(config).client
    manifest = S3Store(config).read_json(verified + ".manifest.json")
    created = datetime.fromisoformat(manifest["created_at"])
    unverified = {k: v for k, v in manifest.items() if not k.startswith(("verif", "rto", "rpo"))}
    keys = []
    for hour in range(1, hours + 1):
        at = created + timedelta(hours=hour)
        key = f"{at:%Y-%m-%dT%H%M%SZ}.dump"
        source = {"Bucket": BUCKET, "Key": config.prefix + verified}
        client.copy_object(Bucket=BUCKET, Key=config.prefix + key, CopySource=source)
        S3Store(config).write_json(
            key + ".manifest.json",
            {**unverified, "key": key, "created_at": at.isoformat(timespec="seconds"), "verified_at": None},
        )
        keys.append(key)
    return keys


@pytest.mark.usefixtures("s3_env")
def test_a_verification_still_counts_behind_more_than_20_newer_backups(
    sandbox: Sandbox, store: StateStore
) -> None:
    """Hourly backups, a weekly verification: the verified backup is older than the newest 20
    (the table's) a day later, and its verification must still count."""
    config = s3_store(sandbox)
    verified, _ = backup_and_verify(config, sandbox, Guard(target="sandbox", store=store, read_only=False))
    newer = newer_backups(config, verified, hours=25)
    found = inventory(config)
    now = datetime.fromisoformat(S3Store(config).read_json(newer[-1] + ".manifest.json")["created_at"])
    now += timedelta(minutes=30)  # half an hour after the newest backup
    (finding,) = [f for f in judge(found, now) if f.check == "backup.verified"]
    assert finding.severity is Severity.OK, finding.message
    assert finding.message.startswith("last verified 1d 1h ago") and finding.message.endswith(f"({verified})")
    assert [b.key for b in found.backups] == [*reversed(newer), verified]
    assert found.backups[-1].verify_ok is True
    # Found by reading the manifests written since the verification, not every manifest.
    assert found.searched == len(newer) + 1 and found.unsearched == 0
    # A week on without another verification: overdue, and it says since when.
    (late,) = [f for f in judge(found, now + timedelta(days=7)) if f.check == "backup.verified"]
    assert late.severity is Severity.WARN and late.message.startswith("last verified 8d 1h ago")
    assert late.message.endswith(f"({verified}): over 7 days") and late.hint.endswith("--latest")


@pytest.mark.usefixtures("s3_env")
def test_the_panes_reader_keeps_its_client_and_reads_again_only_what_changed(
    sandbox: Sandbox, store: StateStore
) -> None:
    config = s3_store(sandbox)
    guard = Guard(target="sandbox", store=store, read_only=False)
    oldest = guard.run(
        backup_request(config, app(sandbox)),
        YES,
        lambda c: run_backup(c, config, app(sandbox), SessionPolicy()),
    ).key
    newer = newer_backups(config, oldest, hours=30)
    reader = StoreReader(config)
    client = cast(S3Store, reader.store).client
    reads: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )
    never = reader.inventory()  # never verified: every manifest, each read once
    assert [f.message for f in judge(never) if f.check == "backup.verified"] == [
        "no backup has been verified (a test restore)"
    ]
    assert len(reads) == len(set(reads)) == len(newer) + 1 and never.searched == len(newer) + 1
    reads.clear()
    assert reader.inventory().backups == never.backups and reads == []  # nothing changed: no read
    guard.run(
        verify_request(config, oldest), YES,
        lambda c: verify_backup(c, config, oldest, app(sandbox), SessionPolicy()),
    )  # fmt: skip
    found = reader.inventory()  # on the same client: the one manifest the verification rewrote
    assert reads == [config.prefix + oldest + ".manifest.json"]
    (verified,) = [f for f in judge(found) if f.check == "backup.verified"]
    assert verified.severity is Severity.OK and verified.message.endswith(f"({oldest})")


@dataclass(frozen=True)
class UncheckedDatabase:
    """A database whose DSN holds its password. The config refuses such a DSN (tests/unit/
    test_config.py), so this stands in for one built past that check, to prove that the client
    tools are given no secret on their command line whatever the DSN holds."""

    name: str
    dsn: str
    password: str | None = None


def _child_command_lines() -> list[str]:
    """This process's children's command lines, as every user of the host reads them (ps)."""
    lines = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid():
                lines.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return lines


def test_pg_dump_and_pg_restore_get_no_password_on_their_command_line(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    """`postgresql://u@h/db?pass%77ord=X` passed the config's check and went to pg_dump's `-d`
    as it was: the password showed in `ps` to every user of the host."""
    secret = f"dsn-secret-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS dump_probe")
        conn.execute(f"CREATE ROLE dump_probe LOGIN SUPERUSER PASSWORD '{secret}' IN ROLE password_login")
    database = UncheckedDatabase("app", sandbox.postgres.dsn(user="dump_probe") + f"?pass%77ord={secret}")
    config = BackupStore(name="folder", kind="folder", path=str(tmp_path / "backups"))
    guard = Guard(target="sandbox", store=store, read_only=False)
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:  # pg_restore runs between two progress updates: watched all along
        while not done.wait(0.005):
            seen.update(line for line in _child_command_lines() if "pg_dump" in line or "pg_restore" in line)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = guard.run(
            backup_request(config, database),  # type: ignore[arg-type]
            YES,
            lambda c: run_backup(c, config, database, SessionPolicy()),  # type: ignore[arg-type]
        )
        assert any("pg_dump" in line and "dump_probe" in line for line in seen)  # seen running
        assert not [line for line in seen if secret in line]
        guard.run(
            verify_request(config, result.key), YES,
            lambda c: verify_backup(c, config, result.key, database, SessionPolicy()),  # type: ignore[arg-type]
        )  # fmt: skip
    finally:
        done.set()
        watcher.join()
    assert any("pg_restore" in line and "dump_probe" in line for line in seen)
    assert not [line for line in seen if secret in line]


def folder_with_scratch(tmp_path: Path, estate: EstateRoles) -> BackupStore:
    """A folder store verified on the documented restore role (CREATEDB only), as the README says."""
    (tmp_path / "nas").mkdir()
    return BackupStore(
        name="nas", kind="folder", path=str(tmp_path / "nas"), scratch_dsn=estate.dsn(RESTORE, "postgres")
    )


def test_the_documented_restore_role_verifies_a_database_using_pg_stat_statements(
    estate: EstateRoles, store: StateStore, tmp_path: Path
) -> None:
    """A role with CREATEDB only cannot create pg_stat_statements or pgstattuple (untrusted):
    the restore leaves them out and says so, and the row counts are compared all the same."""
    config = folder_with_scratch(tmp_path, estate)
    operator = estate.database(OPERATOR)
    guard = Guard(target="estate", store=store, read_only=False)
    key = guard.run(
        backup_request(config, operator), YES, lambda c: run_backup(c, config, operator, SessionPolicy())
    ).key
    verification = guard.run(
        verify_request(config, key), YES,
        lambda c: verify_backup(c, config, key, operator, SessionPolicy()),
    )  # fmt: skip
    manifest = json.loads((tmp_path / "nas" / (key + ".manifest.json")).read_text())
    assert manifest["verify_result"] == "ok" and len(manifest["row_counts"]) == 8
    assert verification.detail.startswith(
        "sha256 ok, 8 tables' row counts match; not restored: extensions pg_stat_statements, "
        "pgstattuple (role cockpit_restore may not create them: untrusted or not installed there; "
        "they hold none of the rows compared); restore "
    )
    (verified,) = [f for f in judge(inventory(config)) if f.check == "backup.verified"]
    assert verified.severity is Severity.OK
    with psycopg.connect(estate.superuser_dsn) as conn:  # the scratch database is gone
        assert conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'cockpit_verify_%'"
        ).fetchone() == (0,)


def test_a_failed_restore_says_the_servers_error_line(
    sandbox: Sandbox, estate: EstateRoles, store: StateStore, tmp_path: Path
) -> None:
    """A view over pg_stat_statements cannot be restored without the extension: the failure
    names the server's ERROR and the statement, not pg_restore's last line."""
    dsn = own_database(sandbox, "verify_view", "pg_stat_statements")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept AS SELECT 1 AS x")
        conn.execute("CREATE OR REPLACE VIEW statements AS SELECT queryid FROM pg_stat_statements")
    database = Database(name="verify_view", dsn=dsn)
    config = folder_with_scratch(tmp_path, estate)
    guard = Guard(target="sandbox", store=store, read_only=False)
    key = guard.run(
        backup_request(config, database), YES, lambda c: run_backup(c, config, database, SessionPolicy())
    ).key
    with pytest.raises(CockpitError) as failed:
        guard.run(
            verify_request(config, key), YES,
            lambda c: verify_backup(c, config, key, database, SessionPolicy()),
        )  # fmt: skip
    assert str(failed.value) == (
        f"verification of nas/{key} failed: pg_restore failed: ERROR: relation "
        '"public.pg_stat_statements" does not exist (running: CREATE VIEW public.statements AS'
        " SELECT queryid FROM public.pg_stat_statements;); left out: extension pg_stat_statements,"
        " which cockpit_restore may not create"
    )
    (verified,) = [f for f in judge(inventory(config)) if f.check == "backup.verified"]
    assert verified.severity is Severity.CRIT and "ERROR: relation" in verified.message


def test_a_backup_blocked_by_a_lock_names_the_table_and_who_holds_it(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    """It said only `canceling statement due to lock timeout`; a migration's ACCESS EXCLUSIVE
    lock is named as the Bloat actions name it, and the backup gives up instead of queueing."""
    dsn = own_database(sandbox, "backup_lock")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS migrating AS SELECT g AS id FROM generate_series(1, 10) g")
    database = Database(name="backup_lock", dsn=dsn)
    (tmp_path / "nas").mkdir()
    config = BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas"))
    guard = Guard(target="sandbox", store=store, read_only=False)
    with psycopg.connect(dsn) as migration:
        migration.execute("LOCK TABLE migrating IN ACCESS EXCLUSIVE MODE")
        pid = migration.info.backend_pid
        with pytest.raises(CockpitError) as blocked:
            guard.run(
                backup_request(config, database), YES,
                lambda c: run_backup(c, config, database, SessionPolicy(lock_timeout_ms=300)),
            )  # fmt: skip
    assert re.fullmatch(
        r"backup of backup_lock gave up after lock_timeout \(300 ms\) waiting for public\.migrating "
        rf"instead of queueing: held by pid {pid} \(postgres, idle in transaction, transaction open \d+s, "
        r"AccessExclusiveLock\): LOCK TABLE migrating IN ACCESS EXCLUSIVE MODE",
        str(blocked.value),
    ), str(blocked.value)
    assert list((tmp_path / "nas").iterdir()) == []  # nothing kept


def test_cockpit_backup_verify_as_the_documented_roles_with_keyring_passwords(
    estate: EstateRoles, keyring_env: dict[str, str], run_cockpit, tmp_path: Path
) -> None:
    """The cron line as the README sets it up: the operator backs up, the restore role (CREATEDB
    only) verifies on the scratch server, both passwords from the keyring; a weekly verify of a
    database using pg_stat_statements is green."""
    env = dict(keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    for role, name in ((OPERATOR, "estate-operator"), (RESTORE, "estate-restore")):
        stored = run_cockpit("secret", "set", name, "--stdin", env=env, input=estate.passwords[role])
        assert stored.returncode == 0, stored.stderr
    (tmp_path / "nas").mkdir()
    config = tmp_path / "cockpit.toml"
    config.write_text(f"""
[targets.estate]
[[targets.estate.databases]]
name = "estate"
dsn = "{estate.dsn(OPERATOR).partition("?")[0]}"
password = "keyring:estate-operator"
[[targets.estate.backups]]
name = "nas"
kind = "folder"
path = "{tmp_path / "nas"}"
scratch_dsn = "{estate.dsn(RESTORE, "postgres").partition("?")[0]}"
scratch_password = "keyring:estate-restore"
""")
    ran = run_cockpit("backup", "run", "--config", str(config), env=env)
    assert ran.returncode == 0, ran.stderr
    verified = run_cockpit("backup", "verify", "--config", str(config), "--latest", env=env)
    assert verified.returncode == 0, verified.stderr
    assert "8 tables' row counts match; not restored: extensions pg_stat_statements" in verified.stdout
    listed = run_cockpit("backup", "list", "--config", str(config), "--json", env=env)
    assert listed.returncode == 0, listed.stdout
    (finding,) = [
        f for f in json.loads(listed.stdout)["stores"][0]["findings"] if f["check"] == "backup.verified"
    ]
    assert finding["severity"] == "ok"
    for secret in estate.passwords.values():
        assert secret not in ran.stdout + ran.stderr + verified.stdout + verified.stderr
