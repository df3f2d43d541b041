"""The Bloat pane's tables: tables (sizes, bloat, dead tuples, vacuum) and btree indexes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import ClassVar, cast

from rich.text import Text

from cockpit.probes.bloat import IndexBloat, TableBloat
from cockpit.units import format_duration, format_size
from widgets.keyed_table import Cell
from widgets.pane_table import DeferredPlan, PaneTable


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


# The figures' widths: a size is at most "1023.9 MB", a share "100%", an age "365d 23h".
SIZE, SHARE, AGE, COUNT = 9, 4, 8, 11


def _name(qualified: str, small: bool) -> Cell:
    return Text(qualified, style="dim") if small else qualified


class TablesTable(PaneTable):
    """Largest estimated waste first; tables under 10 pages dimmed (their ratios mislead).

    Every table of the estate is a row; a row's figures are formatted only when its line is
    drawn (DeferredRow): 10,000 tables cost their names, not 130,000 formatted cells.
    """

    NARROW = ("table", "size", "bloat", "dead", "vacuumed")
    WIDE_EXTRA = ("heap", "indexes", "toast", "live", "analyzed", "freeze", "autovacuum")
    SORTED_BY = "wasted"  # the estimate's order: the bytes bloat wastes, the most first
    FLEX = "table"
    WIDTHS: ClassVar[Mapping[str, int]] = {
        "size": SIZE, "bloat": SHARE, "wasted": SIZE, "dead": SHARE, "vacuumed": AGE,
        "heap": SIZE, "indexes": SIZE, "toast": SIZE, "live": COUNT, "analyzed": AGE,
        "freeze": SHARE, "autovacuum": 3,
    }  # fmt: skip

    def show(
        self,
        tables: Sequence[TableBloat],
        *,
        now: datetime,
        xid_now: int,
        warn: float,
        crit: float,
        dead_warn: float,
    ) -> None:
        self.put_planned(
            self.plan(tables, now=now, xid_now=xid_now, warn=warn, crit=crit, dead_warn=dead_warn)
        )

    def plan(
        self,
        tables: Sequence[TableBloat],
        *,
        now: datetime,
        xid_now: int,
        warn: float,
        crit: float,
        dead_warn: float,
    ) -> DeferredPlan:
        """``show``'s work without changing the table (safe on a worker thread; see
        PaneTable.plan_deferred). The ages are counted to ``now`` and the freeze ages to
        ``xid_now``: a new time, counter or threshold makes the drawn rows again."""
        return self.plan_deferred({t.qualified: t for t in tables}, (now, xid_now, warn, crit, dead_warn))

    def measured_cells(self, source: TableBloat) -> Mapping[str, Cell]:
        return {"table": _name(source.qualified, source.small)}

    def measured_key(self, source: TableBloat) -> object:
        return (source.qualified, source.small)

    def deferred_cells(self, source: TableBloat) -> Mapping[str, Cell]:
        t = source
        now, xid_now, warn, crit, dead_warn = cast(tuple[datetime, int, float, float, float], self.judged)
        analyzed = max((x for x in (t.last_analyze, t.last_autoanalyze) if x), default=None)
        autovacuum = "off" if not t.autovacuum_on else "due" if t.autovacuum_due else "ok"
        return {
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
            "freeze": f"{100 * t.freeze_age(xid_now) / t.freeze_max_age:.0f}%" if t.freeze_max_age else "?",
            "autovacuum": Text(autovacuum, style="yellow" if autovacuum != "ok" else ""),
        }


class IndexesTable(PaneTable):
    """B-tree indexes, largest estimated waste first (rows deferred, as the tables')."""

    NARROW = ("index", "size", "bloat", "scans")
    WIDE_EXTRA = ("table",)
    SORTED_BY = "wasted"
    FLEX = "index"
    WIDTHS: ClassVar[Mapping[str, int]] = {"size": SIZE, "bloat": SHARE, "wasted": SIZE, "scans": COUNT}

    def show(self, indexes: Sequence[IndexBloat], *, warn: float, crit: float) -> None:
        self.put_planned(self.plan(indexes, warn=warn, crit=crit))

    def plan(self, indexes: Sequence[IndexBloat], *, warn: float, crit: float) -> DeferredPlan:
        """``show``'s work without changing the table (safe on a worker thread)."""
        return self.plan_deferred({i.qualified: i for i in indexes}, (warn, crit))

    def measured_cells(self, source: IndexBloat) -> Mapping[str, Cell]:
        return {"index": _name(source.qualified, source.small), "table": f"{source.schema}.{source.table}"}

    def measured_key(self, source: IndexBloat) -> object:
        return (source.qualified, source.small, source.schema, source.table)

    def deferred_cells(self, source: IndexBloat) -> Mapping[str, Cell]:
        i = source
        warn, crit = cast(tuple[float, float], self.judged)
        return {
            "size": _size(i.bytes if i.bytes is not None else i.pages * i.block_size, i.locked),
            "bloat": _pct(i.bloat_pct, warn, crit, i.small),
            "wasted": format_size(i.bloat_bytes),
            "scans": f"{i.scans:,}",
        }
