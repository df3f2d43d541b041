"""What a killed backup leaves behind, on a real folder and the sandbox's real S3 (SeaweedFS):
the writer is killed -9 for real (a process of its own, mid-write); the inventory then reports
what it left (`backup.leftover`), and the next backup run removes it.

Before, a folder's hidden `.partial-*` file was never listed, reported or cleaned, and an S3
multipart upload stayed unfinished (billed) until a lifecycle rule, if any, aborted it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from cockpit.backups import store as backup_store
from cockpit.backups.inventory import inventory, judge
from cockpit.backups.run import backup_request, run_backup
from cockpit.backups.store import S3Store
from cockpit.config import BackupStore, Database
from cockpit.db.sessions import SessionPolicy
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.s3 import BUCKET
from cockpit.state import StateStore

YES = Confirmation(confirmed=True)

# A writer that uploads one 17 MiB chunk (an S3 part: 16 MiB) and then waits to be killed, once
# the part is written (a folder's at once; an S3 part is sent on a thread: until S3 lists it).
WRITER = """
import json, sys, time
from cockpit.backups.store import open_store
from cockpit.config import BackupStore

store = open_store(BackupStore(**json.loads(sys.argv[1])))

def part_written():
    if not hasattr(store, "client"):
        return True
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    return any(
        store.client.list_parts(Bucket=store.bucket, Key=u["Key"], UploadId=u["UploadId"]).get("Parts")
        for u in uploads.get("Uploads", [])
    )

def chunks():
    yield b"PGDMP" + bytes(17 * 1024 * 1024)
    while not part_written():
        time.sleep(0.05)
    print("writing", flush=True)
    time.sleep(600)
    yield b""

store.upload("2026-01-01T000000Z.dump", chunks())
"""


def killed_mid_write(config: BackupStore) -> int:
    fields = {f: getattr(config, f) for f in ("name", "kind", "bucket", "prefix", "endpoint_url", "path")}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, json.dumps(fields)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    line = writer.stdout.readline()  # once the first part is written
    writer.kill()
    writer.communicate()
    assert line == "writing\n"
    return writer.pid


def back_up(config: BackupStore, sandbox: Sandbox, store: StateStore) -> str:
    database = Database(name="app", dsn=sandbox.postgres.dsn())
    guard = Guard(target="sandbox", store=store, read_only=False)
    guard.run(
        backup_request(config, database), YES, lambda c: run_backup(c, config, database, SessionPolicy())
    )
    return store.audit_records()[0].detail


def test_a_folder_backup_killed_mid_write_is_reported_then_cleaned(
    sandbox: Sandbox, store: StateStore, tmp_path: Path
) -> None:
    root = tmp_path / "nas"
    root.mkdir()
    config = BackupStore(name="nas", kind="folder", path=str(root))
    pid = killed_mid_write(config)
    (partial,) = root.glob(".partial-*")
    found = inventory(config)
    assert found.backups == [] and [x.key for x in found.leftovers] == ["2026-01-01T000000Z.dump"]
    assert found.leftovers[0].size == partial.stat().st_size > 16 * 1024 * 1024
    (leftover,) = [f for f in judge(found) if f.check == "backup.leftover"]
    assert leftover.severity is Severity.WARN
    assert "1 interrupted write left behind" in leftover.message
    assert f"its writer, pid {pid} on " in leftover.message and "is gone" in leftover.message
    assert "cockpit backup run --store nas" in leftover.hint

    detail = back_up(config, sandbox, store)
    assert not partial.exists()
    assert "removed 1 unfinished write(s)" in detail
    after = inventory(config)
    assert after.leftovers == [] and len(after.backups) == 1
    assert "backup.leftover" not in {f.check for f in judge(after)}


@pytest.mark.usefixtures("s3_env")
def test_an_s3_upload_killed_mid_write_is_reported_then_aborted(
    sandbox: Sandbox, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = BackupStore(
        name="s3",
        kind="s3",
        bucket=BUCKET,
        prefix=f"test-{uuid.uuid4().hex[:8]}/",
        endpoint_url=sandbox.s3.endpoint,
    )
    killed_mid_write(config)
    client = S3Store(config).client
    uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=config.prefix).get("Uploads", [])
    assert len(uploads) == 1  # what a kill leaves: billed until aborted
    assert inventory(config).leftovers == []  # begun a moment ago: may be a backup under way
    monkeypatch.setattr(backup_store, "STALE_AFTER", timedelta(0))  # as if hours had passed
    found = inventory(config)
    assert [(x.key, x.size) for x in found.leftovers] == [("2026-01-01T000000Z.dump", 16 * 1024 * 1024)]
    (leftover,) = [f for f in judge(found) if f.check == "backup.leftover"]
    assert "an unfinished multipart upload" in leftover.message

    detail = back_up(config, sandbox, store)
    assert "removed 1 unfinished write(s)" in detail
    assert client.list_multipart_uploads(Bucket=BUCKET, Prefix=config.prefix).get("Uploads", []) == []
    assert inventory(config).leftovers == []
