"""One unreadable manifest among good ones, on the sandbox's real S3 (SeaweedFS): only its own
backup says so, the rest of the inventory stands (on a folder, and the prune that never touches
it: tests/unit/test_backup_manifests.py).

Each test writes under a prefix of its own, so the sandbox's seeded backups stay as the demo
shows them.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from cockpit.backups.inventory import MANIFEST_SUFFIX, StoreReader, inventory, judge
from cockpit.backups.store import S3Store, StoreError
from cockpit.config import BackupStore
from cockpit.guard import Confirmation
from cockpit.model import Severity
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.s3 import BUCKET
from tests.conftest import clean_env

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


@pytest.mark.usefixtures("s3_env")
def test_a_failed_listing_still_fails_the_whole_inventory(sandbox: Sandbox) -> None:
    gone = BackupStore(name="s3", kind="s3", bucket="no-such-bucket", endpoint_url=sandbox.s3.endpoint)
    (finding,) = judge(inventory(gone))
    assert finding.check == "backup.store" and finding.severity is Severity.CRIT
    assert finding.message.endswith("listing: no such bucket: check `bucket`")
    with pytest.raises(StoreError) as raised:  # a store-wide failure: not one object's
        S3Store(gone).read_json("x.dump.manifest.json")
    assert raised.value.object_reason == ""


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
        rf"  {re.escape(keys[BAD])} +{len(DUMP)} B  \S+ \S+ UTC  manifest unreadable: not JSON", bad
    )
    assert sum(" verified " in line for line in lines if line.startswith("  20")) == 4
    assert (
        f"  WARN    backup.manifest: 1 manifest could not be read; newest: {keys[BAD]}.manifest.json"
        in listed.stdout
    )
    assert "  OK      backup.verified: last verified" in listed.stdout
