"""Retention: which backups fall outside a store's ``retention_days``, and the guarded prune.

The prune never deletes the newest verified backup (it may be the only restore known to work),
nor the newest backup of all, whatever their age; the confirmation lists exactly the keys it
will delete, and the list is taken again at execution so nothing newer is caught by surprise.
That second list searches every manifest for the newest verified backup if need be (the pane's
search stops at ``MANIFESTS_SEARCHED``), so a verification however old is found and kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.backup_store import open_store
from cockpit.config import BackupStore
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.backups import MANIFEST_SUFFIX, Backup, StoreInventory, inventory


def outside_retention(found: StoreInventory, now: datetime | None = None) -> list[Backup]:
    """Backups older than the store's retention, minus the ones a prune must keep."""
    now = now or datetime.now(UTC)
    if not found.backups:
        return []
    keep = {found.backups[0].key}  # the newest
    verified = [b for b in found.backups if b.verify_ok]
    if verified:
        keep.add(max(verified, key=lambda b: b.created).key)  # the newest known to restore
    cutoff = now - timedelta(days=found.store.retention_days)
    return [b for b in found.backups if b.created < cutoff and b.key not in keep]


def prune_request(store: BackupStore, doomed: list[Backup]) -> ActionRequest:
    return ActionRequest(
        action="backup.prune",
        summary=f"Delete {len(doomed)} backups of {store.name} older than {store.retention_days} days",
        params={"store": store.name, "keys": [b.key for b in doomed]},
        details=tuple(f"{b.key}  {b.size:,} bytes  {b.created:%Y-%m-%d %H:%M}" for b in doomed),
    )


def prune(context: ActionContext, store_config: BackupStore, keys: list[str]) -> str:
    """Delete exactly ``keys`` (dump, then manifest), each still outside retention right now."""
    context.progress(f"listing {store_config.name} and finding its newest verified backup", None)
    found = inventory(store_config, search=None)  # however far back it is: it must be kept
    if found.error:
        raise CockpitError(found.error)
    allowed = {b.key for b in outside_retention(found)}
    store = open_store(store_config)
    deleted: list[str] = []
    for index, key in enumerate(keys):
        context.progress(f"deleting {key}", index / max(len(keys), 1))
        if key not in allowed:
            continue  # verified or newest since the list was shown: kept
        store.delete(key)
        store.delete(key + MANIFEST_SUFFIX)
        deleted.append(key)
    kept = len(keys) - len(deleted)
    context.result_detail = f"deleted {len(deleted)} backups from {store_config.name}" + (
        f"; kept {kept} that no longer fall outside retention" if kept else ""
    )
    return context.result_detail
