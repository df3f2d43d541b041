"""The Backups pane's inventory: each store's backups (from the manifests beside them), foreign
objects, and the findings the runbooks ask for: the newest backup's age against RPO and schedule,
a sudden size drop, and the last verification's result and age.

Listing pages through the store (1,000 keys a page, in a thread); a bucket of 50,000 objects
costs its listing, not 50,000 requests. Two sets of manifests are read:

* the newest backups' (``MANIFESTS_READ``, by the dump's LastModified), for the table;
* the last verification's. A verification records its result in its backup's manifest (the
  one source of truth, beside the dump: cockpit/backups/verify.py), which rewrites that object,
  so its LastModified is when that verification happened. Manifests are read in that order,
  most recently written first, until one says its restore succeeded and the next was written
  before that: every verification since (failed ones) and that one are then known, whatever the
  age of the backups they verified. With hourly backups and a weekly verification that is at
  most about 170 manifests; the search stops at ``MANIFESTS_SEARCHED`` and the finding says how
  far it looked (a prune searches all: it must keep the newest verified backup).

A ``StoreReader`` keeps the store (its S3 client and connections) and the manifests it read
from one refresh to the next; a manifest is read again only when the listing shows it changed
(its size or LastModified), so a refresh reads what was written since the last.

What an interrupted backup or export left behind (a folder's hidden temporary file whose writer
is gone, an S3 multipart upload nothing was written to for hours: billed until aborted) is
listed too, as a ``backup.leftover`` warning; the probe only reads, and the next ``backup run``
removes them.

A manifest that cannot be read (garbage or truncated bytes, not an object, a GET refused for that
one key) fails only its own backup: listed with its dump's size and LastModified, marked with the
reason (``Backup.unreadable``), never counted as verified, and named in a ``backup.manifest``
finding. Only a failure of the listing (or of the store: endpoint, credentials, bucket) fails the
whole inventory.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.backups.store import Leftover, Store, StoredObject, StoreError, open_store
from cockpit.config import BackupStore
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.context import ProbeContext
from cockpit.units import format_duration, format_size

MANIFEST_SUFFIX = ".manifest.json"
# What a dump made without the cockpit is called: backup_20261130.sql.gz, app.dump, db.tar.zst
DUMP_NAME = re.compile(r"\.(sql|dump|pgdump|backup|bak|tar)(\.(gz|bz2|xz|zst|lz4))?$", re.IGNORECASE)
EXPORT_PREFIX = "exports/"  # CSV exports: exports/<time>/<schema.table>.csv, then export.json
EXPORT_MANIFEST = "export.json"
MANIFESTS_READ = 20  # the newest backups' manifests, for the table
MANIFESTS_SEARCHED = 1_000  # at most, most recently written first, for the last verification
READERS = 8  # manifests read at once (botocore's pool holds 10 connections)
VERIFY_MAX_AGE = timedelta(days=7)  # the runbooks: test restores regularly (weekly)
NOT_KEPT = frozenset({"row_counts"})  # a row count per table: only verification needs them


@dataclass(frozen=True, slots=True)
class Backup:
    key: str
    size: int
    created: datetime
    manifest: dict[str, Any] | None  # without its row counts; None: not read (see the module)
    unreadable: str = ""  # why its manifest could not be read ("not JSON", "AccessDenied"); manifest is None

    @property
    def database(self) -> str:
        return str((self.manifest or {}).get("database", ""))

    @property
    def verified_at(self) -> datetime | None:
        return _when((self.manifest or {}).get("verified_at"))

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
    unanswered: bool = False  # the error is the store's silence (a timeout): its state is unknown
    objects: int = 0
    searched: int = 0  # manifests the search for the last verification read, newest written first
    unsearched: int = 0  # those it did not reach, stopped by MANIFESTS_SEARCHED; 0 if it could end
    searched_since: datetime | None = None  # when the oldest manifest it read was written
    leftovers: list[Leftover] = field(default_factory=list)  # of interrupted writes: backup.leftover


def inventory(config: BackupStore, *, search: int | None = MANIFESTS_SEARCHED) -> StoreInventory:
    """List the store and pair dumps with manifests (blocking: run it in a thread). ``search``:
    how many manifests the search for the last verification may read (None: all of them)."""
    return StoreReader(config, search=search).inventory()


class StoreReader:
    """One store's inventory, refresh after refresh: keeps the store (its S3 client, built once)
    and the manifests read, each with the size and LastModified it was listed with. One
    inventory at a time (a lock); the reads inside one run concurrently on the one client."""

    def __init__(self, config: BackupStore, *, search: int | None = MANIFESTS_SEARCHED) -> None:
        self.config = config
        self.search = search
        self._store: Store | None = None
        # By dump key; good reads only: a failed one is read again at the next inventory.
        self._kept: dict[str, tuple[tuple[int, datetime], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config)
        return self._store

    def inventory(self) -> StoreInventory:
        with self._lock:
            try:
                return self._inventory()
            except CockpitError as exc:  # a StoreError, or a keyring that cannot give the S3 keys
                self._store = None  # built again next time: the keys may have been fixed or rotated
                silent = isinstance(exc, StoreError) and exc.unanswered
                return StoreInventory(self.config, error=str(exc), unanswered=silent)

    def _inventory(self) -> StoreInventory:
        store = self.store
        objects: dict[str, StoredObject] = {}
        for page in store.pages():
            objects.update((o.key, o) for o in page)
        dumps = [
            objects[k[: -len(MANIFEST_SUFFIX)]]
            for k in objects
            if k.endswith(MANIFEST_SUFFIX) and k[: -len(MANIFEST_SUFFIX)] in objects
        ]
        dumps.sort(key=lambda o: o.modified, reverse=True)
        manifests: dict[str, dict[str, Any]] = {}
        with _Reads(store, objects, self._kept, manifests) as reads:
            reads.get([d.key for d in dumps[:MANIFESTS_READ]])
            searched, since, complete = reads.search(dumps, self.search)
            self._kept = reads.kept
            failed = reads.failed
        backups = [
            Backup(
                d.key, d.size, _created(manifests.get(d.key), d), manifests.get(d.key), failed.get(d.key, "")
            )
            for d in dumps
        ]
        backups.sort(key=lambda b: b.created, reverse=True)
        paired = {b.key for b in backups} | {b.key + MANIFEST_SUFFIX for b in backups}
        exports = _exports(objects)
        in_exports = tuple(e.key for e in exports)
        foreign = [o for k, o in objects.items() if k not in paired and not k.startswith(in_exports)]
        foreign.sort(key=lambda o: o.key)  # the few left, not every key
        return StoreInventory(
            self.config, backups, foreign, exports, objects=len(objects), searched=searched,
            unsearched=0 if complete else len(dumps) - searched, searched_since=since,
            leftovers=_leftovers(store),
        )  # fmt: skip


def _leftovers(store: Store) -> list[Leftover]:
    """The store's abandoned writes; none when it will not say (a role without
    s3:ListBucketMultipartUploads): the backups themselves are what the inventory is for."""
    try:
        return store.leftovers()
    except StoreError:
        return []


class _Reads:
    """One inventory's manifest reads: kept ones reused while unchanged, the rest read
    ``READERS`` at a time; what was used this time becomes the reader's kept set.

    A manifest that cannot be read goes to ``failed`` (dump key: a short reason), not to
    ``kept``: the next inventory reads it again, changed or not, since what made it fail (a
    permission, a half-written upload) may be fixed without a new LastModified. That costs one
    GET per unreadable manifest per refresh, and only while it stays unreadable."""

    def __init__(
        self,
        store: Store,
        objects: dict[str, StoredObject],
        previous: dict[str, tuple[tuple[int, datetime], dict[str, Any]]],
        into: dict[str, dict[str, Any]],
    ) -> None:
        self.store, self.objects, self.previous, self.into = store, objects, previous, into
        self.kept: dict[str, tuple[tuple[int, datetime], dict[str, Any]]] = {}
        self.failed: dict[str, str] = {}  # dump key: why its manifest could not be read
        self._pool: ThreadPoolExecutor | None = None
        self._exit = contextlib.ExitStack()

    def __enter__(self) -> _Reads:
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def get(self, keys: list[str]) -> None:
        """The manifests of these dumps into ``into``, or their reasons into ``failed``."""
        missing = []
        for key in keys:
            if key in self.kept or key in self.failed:
                continue
            listed = self.objects[key + MANIFEST_SUFFIX]
            version = (listed.size, listed.modified)  # a verification rewrites it: both change
            previous = self.previous.get(key)
            if previous is not None and previous[0] == version:
                self.kept[key] = previous
                self.into[key] = previous[1]
            else:
                missing.append((key, version))
        if len(missing) > 1 and self._pool is None:
            self._pool = self._exit.enter_context(ThreadPoolExecutor(READERS, "manifests"))
        read = self._pool.map if self._pool is not None else map
        for (key, version), (manifest, reason) in zip(
            missing, read(self._read, [k for k, _ in missing]), strict=True
        ):
            if manifest is None:
                self.failed[key] = reason
            else:
                self.kept[key] = (version, manifest)
                self.into[key] = manifest

    def _read(self, key: str) -> tuple[dict[str, Any] | None, str]:
        manifest, reason = read_manifest(self.store, key)
        if manifest is None:
            return None, reason
        return {k: v for k, v in manifest.items() if k not in NOT_KEPT}, ""

    def search(self, dumps: list[StoredObject], limit: int | None) -> tuple[int, datetime | None, bool]:
        """Manifests most recently written first, until the newest successful verification is
        known, at most ``limit``: how many were read, when the oldest of them was written, and
        whether that is known (else the search stopped at ``limit``). An unreadable manifest
        is counted as read and skipped: it proves no verification, and the search goes on.

        A verification writes its result into its manifest, so a manifest's LastModified is no
        earlier than the ``verified_at`` it records: once a successful one is read, manifests
        written before its ``verified_at`` hold no newer verification, and the search ends. A
        bucket copied or synced (every LastModified is the copy's) gives no such end: the search
        goes on to ``limit``."""
        written = {d.key: self.objects[d.key + MANIFEST_SUFFIX].modified for d in dumps}
        order = sorted(written, key=lambda k: (written[k], k), reverse=True)
        reach = len(order) if limit is None else min(limit, len(order))
        done, newest_ok, batch = 0, None, READERS
        while done < len(order):
            if newest_ok is not None and written[order[done]] < newest_ok:
                break  # the end: nothing written from here on records a newer verification
            if done == reach:
                return done, written[order[done - 1]] if done else None, False
            keys = order[done : min(done + batch, reach)]
            self.get(keys)  # READERS at a time; past the end, a few read for nothing (and kept)
            for key in keys:
                if newest_ok is not None and written[key] < newest_ok:
                    break
                manifest = self.into.get(key)  # None: unreadable (in ``failed``)
                at = None if manifest is None else _verified_ok_at(manifest)
                newest_ok = newest_ok if at is None else max(at, newest_ok or at)
                done += 1
            batch = min(batch * 2, READERS * 8)
        return done, written[order[done - 1]] if done else None, True


def read_manifest(store: Store, dump_key: str) -> tuple[dict[str, Any] | None, str]:
    """A dump's manifest, or None and why not when the failure is that object's alone; a failure
    of the store (endpoint, credentials, bucket) is raised: it fails the inventory, or the prune."""
    try:
        return store.read_json(dump_key + MANIFEST_SUFFIX), ""
    except StoreError as exc:
        if not exc.object_reason:
            raise
        return None, exc.object_reason


def _verified_ok_at(manifest: dict[str, Any]) -> datetime | None:
    """When a verification that succeeded was recorded (as ``Backup.verify_ok``: no result
    recorded, from older manifests, counts as a success); None otherwise."""
    if manifest.get("verify_result") not in (None, "ok"):
        return None
    return _when(manifest.get("verified_at"))


def _when(text: object) -> datetime | None:
    """A manifest's time (ISO 8601, UTC when it names no zone); None if absent or unreadable: one
    hand-edited manifest among thousands read must not break the whole inventory."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


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
    if inv.error:  # a store that does not answer may hold good backups: unknown, not critical
        severity = Severity.UNKNOWN if inv.unanswered else Severity.CRIT
        return [Finding("backup.store", name, severity, inv.error)]
    rpo, schedule = inv.store.rpo, inv.store.schedule
    left = [_leftover(inv)] if inv.leftovers else []
    if not inv.backups:
        return [_no_backup(inv, now, rpo), *left]
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
            f"newest backup {format_duration(age)} old: {why}",
            hint="" if severity is Severity.OK else f"run one: cockpit backup run --store {name}",
            value=round(hours, 2),
            threshold=rpo.total_seconds() / 3600,
            warn=round(schedule.total_seconds() * 1.1 / 3600, 2),
            crit=rpo.total_seconds() / 3600,
        )
    ]
    earlier = [b.size for b in inv.backups[1:6]]
    if earlier and newest.size < 0.5 * statistics.median(earlier):
        findings.append(
            Finding(
                "backup.size",
                name,
                Severity.WARN,
                f"newest backup is {format_size(newest.size)}, "
                f"under half the usual {format_size(statistics.median(earlier))}",
                hint="check that every table was dumped (a dropped table? a failing pg_dump?)",
            )
        )
    unreadable = _unreadable(inv)
    if unreadable is not None:
        findings.append(unreadable)
    findings += left
    findings.append(_verification(inv, now))
    return findings


def _no_backup(inv: StoreInventory, now: datetime, rpo: timedelta) -> Finding:
    """A store without a cockpit backup (none with a manifest). Dumps made by hand or by a
    runbook's cron (``backup_20261130.sql.gz``) are said, with the newest and its age: a newest
    one within the RPO is a WARN, not a CRIT (a backup seems to be made, but without a checksum
    or row counts nothing says it is whole or restorable, and it is never verified); older than
    the RPO, or no dump at all, is a CRIT."""
    name = inv.store.name
    dumps = sorted((o for o in inv.foreign if DUMP_NAME.search(o.key)), key=lambda o: o.modified)
    if not dumps:
        hint = f"run one: cockpit backup run --store {name}"
        return Finding("backup.age", name, Severity.CRIT, "no backup in this store", hint=hint)
    newest = dumps[-1]
    age = now - newest.modified
    hours = age.total_seconds() / 3600
    others = f"{len(dumps)} other dump{'s' if len(dumps) > 1 else ''}"
    within = age <= rpo
    verdict = (
        f"within the RPO, {inv.store.rpo}; unchecked: no manifest"
        if within
        else f"older than the RPO, {inv.store.rpo}"
    )
    return Finding(
        "backup.age",
        name,
        Severity.WARN if within else Severity.CRIT,
        f"no cockpit backup; {others}, newest {newest.key} {format_duration(age)} ago ({verdict})",
        hint="back up with the cockpit (a manifest: checksum, row counts, verification): "
        f"cockpit backup run --store {name}",
        value=round(hours, 2),
        threshold=rpo.total_seconds() / 3600,
    )


def _unreadable(inv: StoreInventory) -> Finding | None:
    """Manifests that could not be read: their backups are listed but cannot be verified (the
    checksum and row counts are in the manifest), so a restore from one is a guess."""
    bad = [b for b in inv.backups if b.unreadable]
    if not bad:
        return None
    newest = bad[0]  # backups are newest first
    count = f"{len(bad)} manifest{'s' if len(bad) > 1 else ''}"
    return Finding(
        "backup.manifest",
        inv.store.name,
        Severity.WARN,
        f"{count} could not be read; newest: {newest.key}{MANIFEST_SUFFIX} ({newest.unreadable})",
        hint=f"check that object's permissions, or restore it from a copy: until then {newest.key} "
        "is never counted as verified nor pruned",
        value=len(bad),
    )


def _leftover(inv: StoreInventory) -> Finding:
    """Interrupted writes: they hold disk (or are billed: S3 keeps an unfinished upload's parts
    until it is aborted) and show no backup."""
    first = inv.leftovers[0]
    count = f"{len(inv.leftovers)} interrupted write{'s' if len(inv.leftovers) > 1 else ''}"
    return Finding(
        "backup.leftover",
        inv.store.name,
        Severity.WARN,
        f"{count} left behind, {format_size(sum(x.size for x in inv.leftovers))}; e.g. {first.key} "
        f"since {first.since:%Y-%m-%d %H:%M} UTC: {first.why}",
        hint=f"the next backup removes them: cockpit backup run --store {inv.store.name}",
        value=len(inv.leftovers),
    )


def _verification(inv: StoreInventory, now: datetime) -> Finding:
    verified = [b for b in inv.backups if b.verified_at is not None]
    name = inv.store.name
    if not verified:
        message = "no backup has been verified (a test restore)"
        if inv.unsearched and inv.searched_since is not None:
            message = (
                f"no verified backup among the {inv.searched:,} manifests written since "
                f"{inv.searched_since:%Y-%m-%d %H:%M} UTC ({inv.unsearched:,} older ones not read)"
            )
        return Finding(
            "backup.verified", name, Severity.WARN, message,
            hint=f"cockpit backup verify --store {name} --latest",
        )  # fmt: skip
    last = max(verified, key=lambda b: b.verified_at or now)
    assert last.verified_at is not None
    days = (now - last.verified_at).total_seconds() / 86400
    if last.verify_ok is False:
        detail = (last.manifest or {}).get("verify_detail", "")
        return Finding("backup.verified", name, Severity.CRIT, f"last verification failed: {detail}".strip())
    severity = Severity.WARN if now - last.verified_at > VERIFY_MAX_AGE else Severity.OK
    overdue = f": over {VERIFY_MAX_AGE.days} days" if severity is Severity.WARN else ""
    if inv.unsearched:  # a copied bucket: write times say nothing of verifications
        overdue += f" (the newest in the {inv.searched:,} manifests written last)"
    return Finding(
        "backup.verified",
        name,
        severity,
        f"last verified {format_duration(now - last.verified_at)} ago ({last.key}){overdue}",
        hint=f"cockpit backup verify --store {name} --latest" if severity else "",
        value=round(days, 2),
        threshold=VERIFY_MAX_AGE.days,
        warn=VERIFY_MAX_AGE.days,
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
