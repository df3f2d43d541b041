"""The Backups pane's inventory: each store's backups (from the manifests beside them), foreign
objects, and the findings the runbooks ask for: the newest backup's age against RPO and schedule,
a sudden size drop, and the last verification's result and age.

Listing pages through the store (1,000 keys a page, in a thread); only the newest backups'
manifests are read (``MANIFESTS_READ``), so a bucket of 50,000 objects costs its listing, not
50,000 requests.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.backup_store import StoredObject, open_store
from cockpit.config import BackupStore
from cockpit.durations import parse_duration
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.context import ProbeContext

MANIFEST_SUFFIX = ".manifest.json"
EXPORT_PREFIX = "exports/"  # CSV exports: exports/<time>/<schema.table>.csv, then export.json
EXPORT_MANIFEST = "export.json"
MANIFESTS_READ = 20
VERIFY_MAX_AGE = timedelta(days=7)  # the runbooks: test restores regularly (weekly)


@dataclass(frozen=True, slots=True)
class Backup:
    key: str
    size: int
    created: datetime
    manifest: dict[str, Any] | None  # None: not read (older than the newest MANIFESTS_READ)

    @property
    def database(self) -> str:
        return str((self.manifest or {}).get("database", ""))

    @property
    def verified_at(self) -> datetime | None:
        text = (self.manifest or {}).get("verified_at")
        return datetime.fromisoformat(text) if text else None

    @property
    def verify_ok(self) -> bool | None:
        result = (self.manifest or {}).get("verify_result")
        if result is None:
            return None if self.verified_at is None else True
        return bool(result == "ok")


@dataclass(frozen=True, slots=True)
class StoreInventory:
    store: BackupStore
    backups: list[Backup] = field(default_factory=list)  # newest first
    foreign: list[StoredObject] = field(default_factory=list)
    exports: list[StoredObject] = field(default_factory=list)  # one per CSV export folder, newest first
    error: str = ""
    objects: int = 0


def inventory(config: BackupStore) -> StoreInventory:
    """List the store and pair dumps with manifests (blocking: run it in a thread)."""
    store = open_store(config)
    objects: dict[str, StoredObject] = {}
    try:
        for page in store.pages():
            objects.update((o.key, o) for o in page)
        manifests = {k[: -len(MANIFEST_SUFFIX)] for k in objects if k.endswith(MANIFEST_SUFFIX)}
        dumps = sorted(
            (o for k, o in objects.items() if k in manifests), key=lambda o: o.modified, reverse=True
        )
        backups = []
        for index, dump in enumerate(dumps):
            manifest = store.read_json(dump.key + MANIFEST_SUFFIX) if index < MANIFESTS_READ else None
            created = _created(manifest, dump)
            backups.append(Backup(dump.key, dump.size, created, manifest))
    except CockpitError as exc:  # a StoreError, or a keyring that cannot give the S3 keys
        return StoreInventory(config, error=str(exc))
    backups.sort(key=lambda b: b.created, reverse=True)
    paired = {b.key for b in backups} | {b.key + MANIFEST_SUFFIX for b in backups}
    exports = _exports(objects)
    in_exports = tuple(e.key for e in exports)
    foreign = [o for k, o in sorted(objects.items()) if k not in paired and not k.startswith(in_exports)]
    return StoreInventory(config, backups, foreign, exports, objects=len(objects))


def _exports(objects: dict[str, StoredObject]) -> list[StoredObject]:
    """CSV export folders that finished (their export.json is written last), with their total size."""
    sizes: dict[str, int] = {}
    finished: dict[str, datetime] = {}
    for key, stored in objects.items():
        if key.startswith(EXPORT_PREFIX) and "/" in key[len(EXPORT_PREFIX) :]:
            folder, _, name = key.rpartition("/")
            sizes[folder + "/"] = sizes.get(folder + "/", 0) + stored.size
            if name == EXPORT_MANIFEST:
                finished[folder + "/"] = stored.modified
    found = [StoredObject(folder, sizes[folder], modified) for folder, modified in finished.items()]
    return sorted(found, key=lambda o: o.modified, reverse=True)


def _created(manifest: dict[str, Any] | None, dump: StoredObject) -> datetime:
    text = (manifest or {}).get("created_at")
    try:
        return datetime.fromisoformat(text) if text else dump.modified
    except ValueError:
        return dump.modified


def judge(inv: StoreInventory, now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(UTC)
    name = inv.store.name
    if inv.error:
        return [Finding("backup.store", name, Severity.CRIT, inv.error)]
    rpo, schedule = parse_duration(inv.store.rpo), parse_duration(inv.store.schedule)
    if not inv.backups:
        return [
            Finding(
                "backup.age", name, Severity.CRIT, "no backup in this store",
                hint="run one: cockpit backup run --store " + name,
            )
        ]  # fmt: skip
    newest = inv.backups[0]
    age = now - newest.created
    hours = age.total_seconds() / 3600
    if age > rpo:
        severity, why = Severity.CRIT, f"older than the RPO ({inv.store.rpo})"
    elif age > schedule * 1.1:
        severity, why = Severity.WARN, f"the {inv.store.schedule} schedule was missed"
    else:
        severity, why = Severity.OK, f"within the RPO ({inv.store.rpo})"
    findings = [
        Finding(
            "backup.age",
            name,
            severity,
            f"newest backup {hours:.1f} h old: {why}",
            hint="" if severity is Severity.OK else f"run one: cockpit backup run --store {name}",
            value=round(hours, 2),
            threshold=rpo.total_seconds() / 3600,
        )
    ]
    earlier = [b.size for b in inv.backups[1:6]]
    if earlier and newest.size < 0.5 * statistics.median(earlier):
        findings.append(
            Finding(
                "backup.size",
                name,
                Severity.WARN,
                f"newest backup is {newest.size:,} bytes, "
                f"under half the usual {statistics.median(earlier):,.0f}",
                hint="check that every table was dumped (a dropped table? a failing pg_dump?)",
            )
        )
    findings.append(_verification(inv, now))
    return findings


def _verification(inv: StoreInventory, now: datetime) -> Finding:
    verified = [b for b in inv.backups if b.verified_at is not None]
    name = inv.store.name
    if not verified:
        return Finding(
            "backup.verified", name, Severity.WARN, "no backup has been verified (a test restore)",
            hint=f"cockpit backup verify --store {name} --latest",
        )  # fmt: skip
    last = max(verified, key=lambda b: b.verified_at or now)
    assert last.verified_at is not None
    days = (now - last.verified_at).total_seconds() / 86400
    if last.verify_ok is False:
        detail = (last.manifest or {}).get("verify_detail", "")
        return Finding("backup.verified", name, Severity.CRIT, f"last verification failed: {detail}".strip())
    severity = Severity.WARN if now - last.verified_at > VERIFY_MAX_AGE else Severity.OK
    return Finding(
        "backup.verified",
        name,
        severity,
        f"last verified {days:.1f} days ago ({last.key})",
        hint=f"cockpit backup verify --store {name} --latest" if severity else "",
        value=round(days, 2),
        threshold=VERIFY_MAX_AGE.days,
    )


async def backups_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    inventories = await asyncio.gather(*(asyncio.to_thread(inventory, s) for s in context.target.backups))
    return Snapshot(
        pane="backups",
        rows=inventories,
        findings=[f for inv in inventories for f in judge(inv)],
        duration=time.monotonic() - started,
    )
