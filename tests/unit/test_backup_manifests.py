"""Unreadable manifests on a folder store: only their own backup says so, the rest of the
inventory stands, and a prune never deletes one (on S3: tests/integration/test_backup_manifests.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cockpit.backups.inventory import MANIFEST_SUFFIX, inventory, judge
from cockpit.backups.retention import held, outside_retention, prune, prune_request
from cockpit.config import BackupStore
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.state import StateStore
from tests.unit.test_backups import folder_backups

YES = Confirmation(confirmed=True)
GARBAGE = b"\x00\x9f{ not a manifest"


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


def test_a_manifest_nested_too_deeply_is_its_backup_alone(tmp_path: Path) -> None:
    """`[[[[...` made json.loads raise RecursionError through the inventory: the store's every
    backup vanished behind one hostile manifest."""
    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=[1, 2, 3], verified=3)
    (tmp_path / "nas" / (keys[1] + MANIFEST_SUFFIX)).write_bytes(b"[" * 200_000)
    found = inventory(BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas")))
    assert found.error == ""
    assert [b.unreadable for b in found.backups] == ["", "not JSON", ""]
