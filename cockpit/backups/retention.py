"""Retention: which backups fall outside a store's ``retention_days``, and the guarded prune.

The prune never deletes the newest verified backup (it may be the only restore known to work),
nor the newest backup of all, whatever their age; the confirmation lists exactly the keys it
will delete, and the list is taken again at execution so nothing newer is caught by surprise.
That second list searches every manifest for the newest verified backup if need be (the pane's
search stops at ``MANIFESTS_SEARCHED``), so a verification however old is found and kept.

A backup whose manifest cannot be read is never pruned, whatever its age: nothing is known of it
(its time is only its dump's LastModified, a verification it recorded is lost), and deleting it
is a decision for an operator who has looked, not for a retention rule. The prune's confirmation
and result say how many it keeps that way. And since such a backup cannot be shown to be whole,
it does not stand in for "the newest": the newest backup with a readable manifest is kept too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cockpit.backups.inventory import MANIFEST_SUFFIX, Backup, StoreInventory, inventory, read_manifest
from cockpit.backups.store import open_store
from cockpit.config import BackupStore
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.units import format_size


def outside_retention(found: StoreInventory, now: datetime | None = None) -> list[Backup]:
    """Backups older than the store's retention, minus the ones a prune must keep: the newest,
    the newest with a readable manifest, the newest verified, and any whose manifest could not
    be read (``held``)."""
    now = now or datetime.now(UTC)
    if not found.backups:
        return []
    keep = {found.backups[0].key}  # the newest
    readable = [b for b in found.backups if not b.unreadable]
    if readable:
        keep.add(readable[0].key)  # the newest not known to be damaged, if the newest's manifest is
    verified = [b for b in found.backups if b.verify_ok]
    if verified:
        keep.add(max(verified, key=lambda b: b.created).key)  # the newest known to restore
    cutoff = now - timedelta(days=found.store.retention_days)
    return [b for b in found.backups if b.created < cutoff and b.key not in keep and not b.unreadable]


def held(found: StoreInventory, now: datetime | None = None) -> list[Backup]:
    """Backups older than the retention that a prune keeps because their manifest could not be
    read (see the module), newest first: for the confirmation and the result to name."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=found.store.retention_days)
    return [b for b in found.backups if b.unreadable and b.created < cutoff]


def _held_note(kept: Sequence[Backup]) -> str:
    first = kept[0]
    return (
        f"kept {len(kept)} outside retention whose manifest could not be read, never pruned "
        f"(e.g. {first.key}: {first.unreadable}; check it, delete it by hand if unwanted)"
    )


def prune_request(store: BackupStore, doomed: list[Backup], kept: Sequence[Backup] = ()) -> ActionRequest:
    """The confirmation lists exactly ``doomed``; ``kept`` (``held``) is named in the summary."""
    summary = f"Delete {len(doomed)} backups of {store.name} older than {store.retention_days} days"
    if kept:
        summary += f" (keeping {len(kept)} whose manifest could not be read)"
    return ActionRequest(
        action="backup.prune",
        summary=summary,
        params={"store": store.name, "keys": [b.key for b in doomed]},
        details=tuple(f"{b.key}  {format_size(b.size)}  {b.created:%Y-%m-%d %H:%M}" for b in doomed),
        listing="backups",
        button=f"Delete {len(doomed)} backups",
        keep="Keep them",
        changes_target=False,  # the store's objects, not the target
    )


def prune(context: ActionContext, store_config: BackupStore, keys: list[str]) -> str:
    """Delete exactly ``keys`` (dump, then manifest), each still outside retention right now and
    with a readable manifest; the result names what it kept because its manifest was unreadable.

    The search for the newest verified backup stops once it is known, so older manifests may not
    have been read: each such key's manifest is read just before its deletion, and kept if it
    cannot be (an unreadable manifest is never pruned silently)."""
    context.progress(f"listing {store_config.name} and finding its newest verified backup", None)
    found = inventory(store_config, search=None)  # however far back it is: it must be kept
    if found.error:
        raise CockpitError(found.error)
    allowed = {b.key: b for b in outside_retention(found)}
    old = {b.key for b in held(found)}
    unreadable = [b for b in found.backups if b.unreadable and (b.key in keys or b.key in old)]
    store = open_store(store_config)
    deleted: list[str] = []
    for index, key in enumerate(keys):
        context.progress(f"deleting {key}", index / max(len(keys), 1))
        backup = allowed.get(key)
        if backup is None:
            continue  # verified, newest or unreadable since the list was shown: kept
        if backup.manifest is None:  # not read by the search: read now, before deciding
            _manifest, reason = read_manifest(store, key)
            if reason:
                unreadable.append(Backup(key, backup.size, backup.created, None, reason))
                continue
        store.delete(key)
        store.delete(key + MANIFEST_SUFFIX)
        deleted.append(key)
    unreadable.sort(key=lambda b: b.created, reverse=True)
    kept = len(keys) - len(deleted) - len({b.key for b in unreadable} & set(keys))
    notes = [f"deleted {len(deleted)} backups from {store_config.name}"]
    if kept:
        notes.append(f"kept {kept} that no longer fall outside retention")
    if unreadable:
        notes.append(_held_note(unreadable))
    context.result_detail = "; ".join(notes)
    return context.result_detail
