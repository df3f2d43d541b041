"""The Backups pane's table: every store's backups, newest first, its CSV exports, then foreign objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from cockpit.backups.inventory import StoreInventory
from cockpit.units import format_duration, format_size
from widgets.keyed_table import Cell
from widgets.pane_table import PaneTable


def _clip(text: str, width: int = 26) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class BackupsTable(PaneTable):
    """Row keys are ``store/key``; a store that cannot be read shows one row saying why."""

    NARROW = ("store", "backup", "size", "age", "verified")
    WIDE_EXTRA = ("database", "tool", "retention")
    FLEX = "backup"  # a key such as "nightly/app/2026-12-01T02:00:00Z.dump.gz"
    DETAIL_ONLY = ("tool path",)  # "pg_dump 18.1 (/usr/lib/postgresql/18/bin/pg_dump)", whole

    def show(
        self, inventories: Sequence[StoreInventory], *, now: datetime, outside: set[str], limit: int
    ) -> None:
        """At most ``limit`` rows per store: its newest backups, then exports, then the rest."""
        rows: dict[str, dict[str, Cell]] = {}
        for inv in inventories:
            name = inv.store.name
            if inv.error:
                # The whole error is on the status line: a wide cell would push the ages off 80 columns.
                rows[f"{name}/"] = self._row(
                    name, Text(_clip(inv.error.split(": ", 1)[-1]), style="bold red")
                )
                continue
            backups = inv.backups[:limit]
            exports = inv.exports[: limit - len(backups)]
            foreign = inv.foreign[: limit - len(backups) - len(exports)]
            for b in backups:
                verified: Cell = "never"
                if b.unreadable:  # never verified as far as anyone can tell: a warning, not "never"
                    verified = Text(f"manifest unreadable: {b.unreadable}", style="bold yellow")
                elif b.verified_at is not None:
                    text = f"{format_duration(now - b.verified_at)} ago"
                    verified = Text(
                        text + ("" if b.verify_ok else " FAILED"), style="" if b.verify_ok else "bold red"
                    )
                key = f"{name}/{b.key}"
                tool = str((b.manifest or {}).get("tool", ""))
                rows[key] = {
                    "store": name,
                    "backup": b.key,
                    "size": format_size(b.size),
                    "age": format_duration(now - b.created),
                    "verified": verified,
                    "database": b.database,
                    "tool": tool.partition(" (")[0],  # "pg_dump 18.1"; its path in the detail
                    "tool path": tool,
                    "retention": Text("outside", style="yellow") if key in outside else "",
                }
            for export in exports:
                rows[f"{name}/{export.key}"] = {
                    **self._row(name, f"{export.key} (CSV)"),
                    "size": format_size(export.size),
                    "age": format_duration(now - export.modified),
                }
            for other in foreign:
                rows[f"{name}/{other.key}"] = self._row(
                    name, Text(f"{other.key} (not a backup)", style="dim")
                )
        self.put_rows(rows)

    @staticmethod
    def _row(store: str, backup: Cell) -> dict[str, Cell]:
        return {
            "store": store, "backup": backup, "size": "", "age": "", "verified": "",
            "database": "", "tool": "", "tool path": "", "retention": "",
        }  # fmt: skip
