"""The Backups pane: every store's backups against RPO, verification, retention; guarded actions.

Stores are listed in a thread (S3 pages through the bucket) every ``settings.backups_interval_s``
(a minute) while on screen, or on `r`, each by a ``StoreReader`` the pane keeps: one S3 client per
store for the pane's life, and manifests read again only when they change. `b` backs up to the
selected row's store, `y` verifies the selected backup (restore into a scratch database), `P`
prunes what falls outside the store's retention (the confirmation lists each key), `e` exports
the store's ``export_tables`` as CSV; all four run through the guard with progress in the action
bar, and none exists for observers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from cockpit.backups.export import export_request, export_tables, run_export
from cockpit.backups.inventory import StoreInventory, StoreReader, judge
from cockpit.backups.retention import held, outside_retention, prune, prune_request
from cockpit.backups.run import backup_request, run_backup, store_database
from cockpit.backups.verify import verify_backup, verify_request
from cockpit.config import BackupStore, Database
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext
from cockpit.model import Severity
from screens.cadence import SlowCadence
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.backups_table import BackupsTable
from widgets.status_line import StatusLine

# Rows drawn per store: its newest. A store of hourly backups holds thousands: building and
# comparing all their rows on every listing must not hold keystrokes back
# (bench/latency_under_load.py). Findings, retention and the status line still count every
# object; `cockpit backup list` prints them all.
SHOWN_ROWS = 500


class BackupsPane(PollingPane):
    BINDINGS = [
        Binding("b", "backup", "Back up"),
        Binding("y", "verify", "Verify"),
        Binding("P", "prune", "Prune"),
        Binding("e", "export", "Export CSV"),
    ]

    DEFAULT_CSS = """
    BackupsPane BackupsTable { height: 1fr; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.inventories: list[StoreInventory] = []
        self._readers: dict[str, StoreReader] = {}  # by store name

    def compose(self) -> ComposeResult:
        yield StatusLine("listing the backup stores...", id="backups-status")
        yield BackupsTable()

    def on_mount(self) -> None:
        every = SlowCadence(lambda: self.env.probe_context.settings.backups_interval_s)
        self.poll(self._read_once, every, description="Listing backup stores")

    async def _read_once(self) -> None:
        import asyncio

        stores = list(self.env.probe_context.target.backups)
        readers = [self._reader(s) for s in stores]
        self._readers = {r.config.name: r for r in readers}  # another target's: dropped
        self.inventories = list(await asyncio.gather(*(asyncio.to_thread(r.inventory) for r in readers)))
        self._show()

    def _reader(self, store: BackupStore) -> StoreReader:
        """The store's reader, kept from one poll to the next (a new one if its config changed)."""
        reader = self._readers.get(store.name)
        if reader is None or reader.config != store:
            reader = self._readers[store.name] = StoreReader(store)
        return reader

    def _show(self) -> None:
        now = datetime.now(UTC)
        outside = {
            f"{inv.store.name}/{b.key}" for inv in self.inventories for b in outside_retention(inv, now)
        }
        self.query_one(BackupsTable).show(self.inventories, now=now, outside=outside, limit=SHOWN_ROWS)
        parts = []
        cut = False
        for inv in self.inventories:
            findings = [f for f in judge(inv, now) if f.severity is not Severity.OK]
            worst = Severity.worst(f.severity for f in findings)
            rows = len(inv.backups) + len(inv.exports) + len(inv.foreign)
            newest = f", newest {SHOWN_ROWS:,} of {rows:,} shown" if rows > SHOWN_ROWS else ""
            cut = cut or bool(newest)
            parts.append(
                f"{inv.store.name} {worst.label}" + (f" ({findings[0].message})" if findings else "") + newest
            )
        line = "; ".join(parts) or "no backup store"
        self.query_one("#backups-status", Label).update(line + ("; all: cockpit backup list" if cut else ""))

    # -- actions --------------------------------------------------------------------------------

    def _selected(self) -> tuple[StoreInventory, str] | None:
        key = self.query_one(BackupsTable).selected_key()
        if key is None:
            return None
        store, _, backup = key.partition("/")
        inv = next((i for i in self.inventories if i.store.name == store), None)
        return (inv, backup) if inv is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Absent (not disabled) for observers."""
        if action in ("backup", "verify", "prune", "export"):
            probe = BackupStore(name="-", kind="folder", path="/")
            return self.env.guard.offers(verify_request(probe, "-"))
        return True

    def _store_and_database(self) -> tuple[BackupStore, Database] | None:
        """The selected row's store (else the first) and the database it backs up."""
        selected = self._selected()
        stores = self.env.probe_context.target.backups
        store = selected[0].store if selected else (stores[0] if stores else None)
        if store is None:
            return None
        try:
            return store, store_database(store, list(self.env.probe_context.target.databases))
        except CockpitError as exc:
            self.notify(str(exc), severity="error")
            return None

    def action_backup(self) -> None:
        chosen = self._store_and_database()
        if chosen is None:
            return
        store, database = chosen
        policy = self.env.action_policy()
        self._run(backup_request(store, database), lambda ctx: run_backup(ctx, store, database, policy))

    def action_verify(self) -> None:
        selected = self._selected()
        if selected is None or not any(b.key == selected[1] for b in selected[0].backups):
            self.notify("select a backup to verify", severity="warning")
            return
        inv, key = selected
        chosen = self._store_and_database()  # the selected row's store, so inv's
        if chosen is None:
            return
        database = chosen[1]
        policy = self.env.action_policy()
        self._run(
            verify_request(inv.store, key), lambda ctx: verify_backup(ctx, inv.store, key, database, policy)
        )

    def action_export(self) -> None:
        chosen = self._store_and_database()
        if chosen is None:
            return
        store, database = chosen
        try:
            tables = export_tables(store)
        except CockpitError as exc:
            self.notify(str(exc), severity="error")
            return
        policy = self.env.action_policy()
        self._run(
            export_request(store, database, tables),
            lambda ctx: run_export(ctx, store, database, tables, policy),
        )

    def action_prune(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        inv = selected[0]
        doomed = outside_retention(inv)
        kept = held(inv)  # manifest unreadable: never pruned, said in the confirmation
        if not doomed:
            unreadable = f" ({len(kept)} with an unreadable manifest kept)" if kept else ""
            self.notify(
                f"nothing in {inv.store.name} falls outside its {inv.store.retention_days}-day retention"
                + unreadable
            )
            return
        keys = [b.key for b in doomed]
        self._run(prune_request(inv.store, doomed, kept), lambda ctx: prune(ctx, inv.store, keys))

    def _run(self, request: Any, action: Any) -> None:
        def run(context: ActionContext) -> None:
            try:
                action(context)
            finally:
                self.app.call_from_thread(self.refresh_now)

        self.env.run_action(request, run)
