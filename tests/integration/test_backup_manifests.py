"""One unreadable manifest among good ones, on the sandbox's real S3 (SeaweedFS) and a folder:
only its own backup says so, the rest of the inventory stands, and a prune never touches it.

Each test writes under a prefix (or folder) of its own, so the sandbox's seeded backups stay as
the demo shows them.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from cockpit.backups.inventory import MANIFEST_SUFFIX, StoreReader, inventory, judge
from cockpit.backups.retention import held, outside_retention, prune, prune_request
from cockpit.backups.store import S3Store, StoreError
from cockpit.config import BackupStore
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.s3 import BUCKET
from cockpit.state import StateStore
from tests.conftest import clean_env
from tests.integration.test_backups import folder_backups

YES = Confirmation(confirmed=True)
GARBAGE = b"\x00\x9f{ not a manifest"
HOURS = (2, 26, 50, 74, 98)  # hourly-ish backups; the 74 h one verified an hour after it was made
VERIFIED = 74
BAD = 26  # the one whose manifest is overwritten with garbage
DUMP = b"PGDMP" + bytes(100)  # the same size each: no size-drop finding


def s3_config(sandbox: Sandbox) -> BackupStore:
    prefix = f"test-{uuid.uuid4().hex[:8]}/"
    return BackupStore(name="s3", kind="s3", bucket=BUCKET, prefix=prefix, endpoint_url=sandbox.s3.endpoint)


def s3_backups_with_one_garbage_manifest(config: BackupStore) -> dict[int, str]:
    """``HOURS`` backups in the store (small dumps, manifests as `backup run` writes them, one
    verified), then the ``BAD`` one's manifest overwritten with garbage bytes, a second later so
    the search for the last verification meets it first. Keys by age in hours."""
    client = S3Store(config).client
    now = datetime.now(UTC)
    keys: dict[int, str] = {}
    for hours in HOURS:
        created = now - timedelta(hours=hours)
        key = f"{created:%Y-%m-%dT%H%M%SZ}.dump"
        manifest: dict[str, Any] = {
            "key": key, "database": "app", "created_at": created.isoformat(timespec="seconds"),
            "tool": "pg_dump 18.1", "verified_at": None,
        }  # fmt: skip
        if hours == VERIFIED:
            verified_at = (created + timedelta(hours=1)).isoformat(timespec="seconds")
            manifest |= {"verified_at": verified_at, "verify_result": "ok"}
        client.put_object(Bucket=BUCKET, Key=config.prefix + key, Body=DUMP)
        client.put_object(Bucket=BUCKET, Key=config.prefix + key + MANIFEST_SUFFIX, Body=json.dumps(manifest))
        keys[hours] = key
    time.sleep(1.1)  # LastModified has whole seconds
    client.put_object(Bucket=BUCKET, Key=config.prefix + keys[BAD] + MANIFEST_SUFFIX, Body=GARBAGE)
    return keys


@pytest.mark.usefixtures("s3_env")
def test_one_garbage_manifest_marks_its_backup_and_the_inventory_stands(sandbox: Sandbox) -> None:
    config = s3_config(sandbox)
    keys = s3_backups_with_one_garbage_manifest(config)
    reader = StoreReader(config)
    found = reader.inventory()
    assert found.error == ""
    assert sorted(b.key for b in found.backups) == sorted(keys.values()) and found.foreign == []
    bad = next(b for b in found.backups if b.key == keys[BAD])
    listed = {o.key: o for page in S3Store(config).pages() for o in page}[keys[BAD]]
    assert (bad.unreadable, bad.manifest, bad.verified_at, bad.verify_ok) == ("not JSON", None, None, None)
    assert (bad.size, bad.created) == (len(DUMP), listed.modified)  # the dump's, as if absent
    assert all(b.unreadable == "" and b.manifest for b in found.backups if b is not bad)

    findings = {f.check: f for f in judge(found)}
    manifest = findings["backup.manifest"]
    assert manifest.severity is Severity.WARN and manifest.value == 1
    assert manifest.message == f"1 manifest could not be read; newest: {keys[BAD]}.manifest.json (not JSON)"
    assert "permissions" in manifest.hint and keys[BAD] in manifest.hint
    # The search met the garbage first (written last), skipped it and went on to the verification.
    verified = findings["backup.verified"]
    assert verified.severity is Severity.OK and verified.message.endswith(f"({keys[VERIFIED]})")
    assert findings["backup.age"].severity is Severity.OK

    # Not kept as if it were good: the next refresh reads it again (only it), and sees it mended.
    client = cast(S3Store, reader.store).client
    reads: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )
    again = reader.inventory()
    assert reads == [config.prefix + keys[BAD] + MANIFEST_SUFFIX]
    assert again.backups == found.backups
    mended = {"key": keys[BAD], "database": "app", "created_at": None, "verified_at": None}
    client.put_object(Bucket=BUCKET, Key=config.prefix + keys[BAD] + MANIFEST_SUFFIX, Body=json.dumps(mended))
    assert not [b for b in reader.inventory().backups if b.unreadable]
    reads.clear()
    assert reader.inventory().error == "" and reads == []  # now a good read: kept


def test_a_manifest_that_is_not_an_object_or_empty_says_which(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=[1, 2, 3, 4, 5], verified=5)
    (tmp_path / "nas" / (keys[1] + MANIFEST_SUFFIX)).write_text("[1, 2]")
    (tmp_path / "nas" / (keys[2] + MANIFEST_SUFFIX)).write_bytes(b"")
    (tmp_path / "nas" / (keys[3] + MANIFEST_SUFFIX)).write_text('{"created_at": "2026-')  # truncated
    found = inventory(BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas")))
    assert [b.unreadable for b in found.backups] == ["", "not an object", "empty", "not JSON", ""]
    (finding,) = [f for f in judge(found, now) if f.check == "backup.manifest"]
    assert (
        finding.message == f"3 manifests could not be read; newest: {keys[1]}.manifest.json (not an object)"
    )
    # The three were written last, so read first by the search: skipped, and it went on.
    (verified,) = [f for f in judge(found, now) if f.check == "backup.verified"]
    assert verified.severity is Severity.OK and verified.message.endswith(f"({keys[4]})")


@pytest.mark.usefixtures("s3_env")
def test_a_failed_listing_still_fails_the_whole_inventory(sandbox: Sandbox) -> None:
    gone = BackupStore(name="s3", kind="s3", bucket="no-such-bucket", endpoint_url=sandbox.s3.endpoint)
    (finding,) = judge(inventory(gone))
    assert finding.check == "backup.store" and finding.severity is Severity.CRIT
    assert finding.message.endswith("listing: no such bucket: check `bucket`")
    with pytest.raises(StoreError) as raised:  # a store-wide failure: not one object's
        S3Store(gone).read_json("x.dump.manifest.json")
    assert raised.value.object_reason == ""


def test_prune_never_deletes_an_unreadable_manifest_nor_leans_on_it(
    store: StateStore, tmp_path: Path
) -> None:
    """A week's retention. The newest backup's manifest is garbage: the newest readable one (10
    days old, unverified) is kept too, as is the newest verified; an unreadable old one is kept,
    and the prune says so."""
    now = datetime.now(UTC)
    folder = tmp_path / "nas"
    keys = folder_backups(folder, now, hours=[2, 240, 260, 280, 300], verified=280)
    for key in (keys[0], keys[2]):
        (folder / (key + MANIFEST_SUFFIX)).write_bytes(GARBAGE)
    config = BackupStore(name="nas", kind="folder", path=str(folder), retention_days=7)
    found = inventory(config)
    assert [b.key for b in outside_retention(found, now)] == [keys[4]]
    assert [b.key for b in held(found, now)] == [keys[2]]
    request = prune_request(config, outside_retention(found, now), held(found, now))
    assert (
        request.summary
        == "Delete 1 backups of nas older than 7 days (keeping 1 whose manifest could not be read)"
    )
    guard = Guard(target="sandbox", store=store, read_only=False)
    # Even asked by name (a list taken before the manifest went bad), it keeps them.
    detail = guard.run(request, YES, lambda c: prune(c, config, [keys[1], keys[2], keys[4]]))
    assert detail == (
        "deleted 1 backups from nas; kept 1 that no longer fall outside retention; kept 1 outside "
        f"retention whose manifest could not be read, never pruned (e.g. {keys[2]}: not JSON; check "
        "it, delete it by hand if unwanted)"
    )
    assert sorted(p.name for p in folder.glob("*.dump")) == sorted(keys[:4])


def test_prune_reads_a_manifest_the_search_never_reached_before_deleting(
    store: StateStore, tmp_path: Path
) -> None:
    """Every 6 hours for 12 days, verified 3 days ago: the search stops at that verification,
    so an old backup's manifest is not read by the inventory; it is garbage, and must be kept."""
    now = datetime.now(UTC)
    folder = tmp_path / "nas"
    keys = folder_backups(folder, now, hours=list(range(6, 294, 6)), verified=72)
    bad = keys[-3]  # 276 h old, past the newest 20 and written before the verification
    path = folder / (bad + MANIFEST_SUFFIX)
    written = path.stat().st_mtime
    path.write_bytes(GARBAGE)
    os.utime(path, (written, written))  # as if damaged long ago (bit rot, a bad copy)
    config = BackupStore(name="nas", kind="folder", path=str(folder), retention_days=7)
    found = inventory(config, search=None)
    assert next(b for b in found.backups if b.key == bad).manifest is None  # never read
    doomed = [b.key for b in outside_retention(found, now)]
    assert bad in doomed  # nothing known against it yet
    guard = Guard(target="sandbox", store=store, read_only=False)
    request = prune_request(config, [b for b in found.backups if b.key in doomed])
    detail = guard.run(request, YES, lambda c: prune(c, config, doomed))
    assert detail.startswith(f"deleted {len(doomed) - 1} backups from nas; kept 1 outside retention")
    assert f"{bad}: not JSON" in detail
    assert (folder / bad).exists() and path.exists()


@pytest.mark.usefixtures("s3_env")
def test_backup_list_marks_the_unreadable_one_and_warns(
    sandbox: Sandbox, run_cockpit, tmp_path: Path
) -> None:
    config = s3_config(sandbox)
    keys = s3_backups_with_one_garbage_manifest(config)
    path = tmp_path / "cockpit.toml"
    path.write_text(
        re.sub(r'prefix = "app/"', f'prefix = "{config.prefix}"', sandbox.config_path.read_text())
    )
    env = clean_env(AWS_ACCESS_KEY_ID=sandbox.s3.access_key, AWS_SECRET_ACCESS_KEY=sandbox.s3.secret_key)
    listed = run_cockpit("backup", "list", "--config", str(path), "--store", "s3", env=env)
    assert listed.returncode == 1, listed.stdout + listed.stderr  # a warning, not a failed store
    lines = listed.stdout.splitlines()
    assert lines[0] == "s3 (s3): 5 backups, 0 foreign objects"
    (bad,) = [line for line in lines if keys[BAD] in line and "backup.manifest" not in line]
    assert re.fullmatch(
        rf"  {re.escape(keys[BAD])} +{len(DUMP)}  \S+ \S+ UTC  manifest unreadable: not JSON", bad
    )
    assert sum(" verified " in line for line in lines if line.startswith("  20")) == 4
    assert (
        f"  WARN    backup.manifest: 1 manifest could not be read; newest: {keys[BAD]}.manifest.json"
        in listed.stdout
    )
    assert "  OK      backup.verified: last verified" in listed.stdout


def test_a_manifest_nested_too_deeply_is_its_backup_alone(tmp_path: Path) -> None:
    """`[[[[...` made json.loads raise RecursionError through the inventory: the store's every
    backup vanished behind one hostile manifest."""
    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=[1, 2, 3], verified=3)
    (tmp_path / "nas" / (keys[1] + MANIFEST_SUFFIX)).write_bytes(b"[" * 200_000)
    found = inventory(BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas")))
    assert found.error == ""
    assert [b.unreadable for b in found.backups] == ["", "not JSON", ""]
