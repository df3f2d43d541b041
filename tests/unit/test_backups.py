"""Backups judged, searched and pruned on a folder store: no server, no S3 (their side is in
tests/integration/test_backups.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cockpit.backups import store as backup_store
from cockpit.backups.inventory import Backup, StoreInventory, inventory, judge
from cockpit.backups.store import open_store
from cockpit.config import BackupStore
from cockpit.guard import Confirmation, Guard
from cockpit.model import Severity
from cockpit.state import StateStore
from cockpit.units import Duration

YES = Confirmation(confirmed=True)


def test_age_against_rpo_and_schedule_and_a_size_drop() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    store = BackupStore(name="s3", kind="s3", bucket="b", schedule=Duration("24h"), rpo=Duration("30h"))

    def backups(*ages_and_sizes: tuple[float, int]) -> StoreInventory:
        made = [
            Backup(f"{i}.dump", size, now - timedelta(hours=hours), {"created_at": None})
            for i, (hours, size) in enumerate(ages_and_sizes)
        ]
        return StoreInventory(store, made)

    def severity(found: StoreInventory, check: str) -> Severity:
        return next(f.severity for f in judge(found, now) if f.check == check)

    assert severity(backups((2, 100), (26, 100)), "backup.age") is Severity.OK
    assert severity(backups((27, 100)), "backup.age") is Severity.WARN  # schedule missed
    assert severity(backups((31, 100)), "backup.age") is Severity.CRIT  # past the RPO
    assert severity(StoreInventory(store), "backup.age") is Severity.CRIT  # none at all
    dropped = judge(backups((2, 40), (26, 100), (50, 100)), now)
    assert [f.message for f in dropped if f.check == "backup.size"] == [
        "newest backup is 40 B, under half the usual 100 B"
    ]


def test_prune_deletes_exactly_what_was_listed_and_keeps_the_newest_verified(
    store: StateStore, tmp_path: Path
) -> None:
    import json

    from cockpit.backups.retention import outside_retention, prune, prune_request

    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime.now(UTC)
    for days, verified in ((1, False), (10, True), (20, False), (30, False)):
        key = f"{days:02d}.dump"
        (folder / key).write_bytes(b"dump")
        manifest = {"created_at": (now - timedelta(days=days)).isoformat(), "verified_at": None}
        if verified:
            manifest |= {"verified_at": now.isoformat(), "verify_result": "ok"}
        (folder / (key + ".manifest.json")).write_text(json.dumps(manifest))
    config = BackupStore(name="nas", kind="folder", path=str(folder), retention_days=7)
    doomed = outside_retention(inventory(config))
    assert [b.key for b in doomed] == ["20.dump", "30.dump"]  # 10 days old but the newest verified
    request = prune_request(config, doomed)
    assert request.details[0].startswith("20.dump  4 B  ")
    guard = Guard(target="sandbox", store=store, read_only=False)
    detail = guard.run(request, YES, lambda c: prune(c, config, ["20.dump", "30.dump", "01.dump"]))
    assert detail == "deleted 2 backups from nas; kept 1 that no longer fall outside retention"
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".dump") == ["01.dump", "10.dump"]
    assert not list(folder.glob("[23]0.dump.manifest.json"))


def folder_backups(folder: Path, now: datetime, hours: list[int], verified: int) -> list[str]:
    """A folder store's backups ``hours`` old (dump and manifest written then); the one
    ``verified`` hours old was verified an hour after it was made (its manifest written then)."""
    import json
    import os

    folder.mkdir(exist_ok=True)
    keys = []
    for age in hours:
        created = now - timedelta(hours=age)
        key = f"{created:%Y-%m-%dT%H%M%SZ}.dump"
        manifest: dict[str, object] = {"created_at": created.isoformat(), "verified_at": None}
        written = created
        if age == verified:
            written = created + timedelta(hours=1)
            manifest |= {"verified_at": written.isoformat(), "verify_result": "ok"}
        (folder / key).write_bytes(b"PGDMP")
        (folder / (key + ".manifest.json")).write_text(json.dumps(manifest))
        os.utime(folder / key, (created.timestamp(), created.timestamp()))
        os.utime(folder / (key + ".manifest.json"), (written.timestamp(), written.timestamp()))
        keys.append(key)
    return keys


def test_prune_keeps_the_newest_verified_behind_more_than_20_newer_backups(
    store: StateStore, tmp_path: Path
) -> None:
    """Every 6 hours, a week's retention, the last verification 10 days ago (none since): 39
    backups are newer than the verified one, and a prune must still keep it."""
    from cockpit.backups.retention import outside_retention, prune, prune_request

    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=list(range(6, 246, 6)), verified=240)
    verified = keys[-1]
    config = BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas"), retention_days=7)
    doomed = [b.key for b in outside_retention(inventory(config), now)]
    assert doomed == keys[28:-1]  # over 7 days old, but the verified one
    guard = Guard(target="sandbox", store=store, read_only=False)
    request = prune_request(config, [b for b in inventory(config).backups if b.key in doomed])
    guard.run(request, YES, lambda c: prune(c, config, [*doomed, verified]))
    assert sorted(p.name for p in (tmp_path / "nas").glob("*.dump")) == sorted([*keys[:28], verified])


def test_the_search_for_the_last_verification_stops_and_says_where(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=list(range(1, 31)), verified=30)
    config = BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas"))
    short = inventory(config, search=10)
    assert (short.searched, short.unsearched) == (10, 20)
    assert sum(b.manifest is not None for b in short.backups) == 20  # the table's newest 20
    (finding,) = [f for f in judge(short, now) if f.check == "backup.verified"]
    since = f"{now - timedelta(hours=10):%Y-%m-%d %H:%M}"
    assert finding.severity is Severity.WARN and finding.message == (
        f"no verified backup among the 10 manifests written since {since} UTC (20 older ones not read)"
    )
    found = inventory(config)  # the default search: read until the verification, 29 manifests on
    assert (found.searched, found.unsearched) == (30, 0) and found.backups[-1].key == keys[-1]
    (finding,) = [f for f in judge(found, now) if f.check == "backup.verified"]
    assert finding.severity is Severity.OK and finding.message == f"last verified 1d 5h ago ({keys[-1]})"


def test_a_copied_store_is_searched_past_its_first_verification(tmp_path: Path) -> None:
    """A store copied elsewhere (aws s3 sync, rclone): every manifest written at the copy, so the
    order they were written in says nothing of when they were verified."""
    import json
    import os

    now = datetime.now(UTC)
    keys = folder_backups(tmp_path / "nas", now, hours=list(range(1, 41)), verified=10)
    older = tmp_path / "nas" / (keys[29] + ".manifest.json")  # 30 h old, verified an hour ago
    verified_at = (now - timedelta(hours=1)).isoformat()
    older.write_text(json.dumps(json.loads(older.read_text()) | {"verified_at": verified_at}))
    for path in (tmp_path / "nas").iterdir():
        os.utime(path, (now.timestamp(), now.timestamp()))  # the copy
    found = inventory(BackupStore(name="nas", kind="folder", path=str(tmp_path / "nas")))
    (finding,) = [f for f in judge(found, now) if f.check == "backup.verified"]
    assert finding.message == f"last verified 1h 00m ago ({keys[29]})"  # not keys[9], met first
    assert (found.searched, found.unsearched) == (40, 0)


def test_a_store_of_hand_made_dumps_says_what_it_found(tmp_path: Path) -> None:
    """The runbooks' cron writes backup_YYYYMMDD.sql.gz with no manifest: the store said CRIT
    "no backup in this store". It says what is there instead; a newest dump within the RPO is a
    WARN (made, but unchecked: no checksum, no row counts, never verified), past it a CRIT."""
    import os

    now = datetime.now(UTC)
    folder = tmp_path / "nas"
    folder.mkdir()
    for days in range(1, 13):
        made = now - timedelta(days=days)
        path = folder / f"backup_{made:%Y%m%d}.sql.gz"
        path.write_bytes(b"\x1f\x8b dump")
        os.utime(path, (made.timestamp(), made.timestamp()))
    (folder / "README.txt").write_text("not a dump")
    newest = f"backup_{now - timedelta(days=1):%Y%m%d}.sql.gz"
    config = BackupStore(name="nas", kind="folder", path=str(folder), rpo=Duration("36h"))
    (found,) = judge(inventory(config), now + timedelta(minutes=30))  # clear of a whole day
    assert (found.check, found.severity) == ("backup.age", Severity.WARN)
    assert found.message == (
        f"no cockpit backup; 12 other dumps, newest {newest} 1d 0h ago "
        "(within the RPO, 36h; unchecked: no manifest)"
    )
    assert found.hint.endswith("cockpit backup run --store nas")
    (late,) = judge(inventory(config), now + timedelta(days=2, minutes=30))
    assert late.severity is Severity.CRIT
    assert (
        late.message
        == f"no cockpit backup; 12 other dumps, newest {newest} 3d 0h ago (older than the RPO, 36h)"
    )
    for dump in folder.glob("*.sql.gz"):
        dump.unlink()
    (empty,) = judge(inventory(config), now)
    assert (empty.severity, empty.message) == (Severity.CRIT, "no backup in this store")


def test_a_live_writers_temporary_file_is_not_a_leftover(tmp_path: Path) -> None:
    config = BackupStore(name="nas", kind="folder", path=str(tmp_path))
    store = open_store(config)
    seen: list[list[backup_store.Leftover]] = []

    def chunks() -> Iterator[bytes]:
        yield b"PGDMP"
        seen.append(store.leftovers())  # this process writes it: not abandoned
        yield b"rest"

    store.upload("x.dump", chunks())
    assert seen == [[]]
