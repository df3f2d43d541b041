"""The Bloat pane's tables: tables (sizes, bloat, dead tuples, vacuum) and btree indexes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from cockpit.probes.bloat import IndexBloat, TableBloat
from cockpit.units import format_duration, format_size
from widgets.keyed_table import Cell
from widgets.pane_table import PaneTable


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return format_duration(now - when)


def _pct(value: float | None, warn: float, crit: float, small: bool) -> Text:
    if value is None:
        return Text("?", style="dim")
    style = "dim" if small else "bold red" if value >= crit else "bold yellow" if value >= warn else ""
    return Text(f"{value:.0f}%", style=style)


def _size(nbytes: int | None, locked: bool) -> Cell:
    return Text("locked", style="bold magenta") if locked else format_size(nbytes)


class TablesTable(PaneTable):
    """Largest estimated waste first; tables under 10 pages dimmed (their ratios mislead)."""

    NARROW = ("table", "size", "bloat", "dead", "vacuumed")
    WIDE_EXTRA = ("heap", "indexes", "toast", "live", "analyzed", "freeze", "autovacuum")
    SORTED_BY = "wasted"  # the estimate's order: the bytes bloat wastes, the most first
    FLEX = "table"

    def show(
        self, tables: Sequence[TableBloat], *, now: datetime, warn: float, crit: float, dead_warn: float
    ) -> None:
        rows: dict[str, dict[str, Cell]] = {}
        for t in tables:
            analyzed = max((x for x in (t.last_analyze, t.last_autoanalyze) if x), default=None)
            autovacuum = "off" if not t.autovacuum_on else "due" if t.autovacuum_due else "ok"
            rows[t.qualified] = {
                "table": Text(t.qualified, style="dim" if t.small else ""),
                "size": _size(t.total_bytes if t.total_bytes is not None else t.size_bytes, t.locked),
                "bloat": _pct(t.bloat_pct, warn, crit, t.small),
                "wasted": format_size(t.bloat_bytes),
                "dead": _pct(t.dead_pct, dead_warn, 100.0, t.small),
                "vacuumed": _ago(t.last_vacuumed, now),
                "heap": format_size(t.table_bytes),
                "indexes": format_size(t.index_bytes),
                "toast": format_size(t.toast_bytes),
                "live": f"{t.live_tuples or 0:,}",
                "analyzed": _ago(analyzed, now),
                "freeze": f"{100 * t.freeze_age / t.freeze_max_age:.0f}%" if t.freeze_max_age else "?",
                "autovacuum": Text(autovacuum, style="yellow" if autovacuum != "ok" else ""),
            }
        self.put_rows(rows)


class IndexesTable(PaneTable):
    """B-tree indexes, largest estimated waste first."""

    NARROW = ("index", "size", "bloat", "scans")
    WIDE_EXTRA = ("table",)
    SORTED_BY = "wasted"
    FLEX = "index"

    def show(self, indexes: Sequence[IndexBloat], *, warn: float, crit: float) -> None:
        self.put_rows(
            {
                i.qualified: {
                    "index": Text(i.qualified, style="dim" if i.small else ""),
                    "size": _size(i.bytes if i.bytes is not None else i.pages * i.block_size, i.locked),
                    "bloat": _pct(i.bloat_pct, warn, crit, i.small),
                    "wasted": format_size(i.bloat_bytes),
                    "scans": f"{i.scans:,}",
                    "table": f"{i.schema}.{i.table}",
                }
                for i in indexes
            }
        )
