"""Table and index bloat: estimates from the catalogs, vacuum health, and exact figures on demand.

The estimate (bloat_estimate.py: db/sql/read_bloat_tables.sql, read_bloat_indexes.sql) reads no
page: it costs a catalog scan, so the pane runs it on a slow cadence or on demand, and again only
for what moved. Relations under an ACCESS EXCLUSIVE lock (a migration) are listed without exact
sizes instead of waiting on the lock, so the pane keeps loading when PgHero would stop. The
exact figure for one relation (pgstattuple) reads every page, so it runs only when asked, labelled
as a full scan, with its own timeout. ``judge`` gives the findings the pane and ``cockpit check
--pane bloat`` share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, measured
from cockpit.units import format_size

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Thresholds

MIN_PAGES = 10  # under this, ratios mislead: a 3-page table "50 % bloated" is 12 kB
FIRST_NORMAL_XID = 3  # below it: invalid, bootstrap and frozen
INT32_MAX = 2**31 - 1


def _share(bloat_bytes: int | None, pages: int, block_size: int) -> float | None:
    """Estimated waste as a % of the relation's pages (None when it could not be estimated)."""
    if bloat_bytes is None or not pages:
        return None
    return 100.0 * bloat_bytes / (pages * block_size)


@dataclass(frozen=True, slots=True)
class TableBloat:
    oid: int
    schema: str
    name: str
    locked: bool  # under an ACCESS EXCLUSIVE lock: no exact sizes were asked for
    estimable: bool  # every column has statistics and the table was analyzed
    pages: int
    block_size: int
    total_bytes: int | None
    table_bytes: int | None
    index_bytes: int | None
    toast_bytes: int | None
    bloat_bytes: int | None
    live_tuples: int | None
    dead_tuples: int | None
    last_vacuum: datetime | None
    last_autovacuum: datetime | None
    last_analyze: datetime | None
    last_autoanalyze: datetime | None
    autovacuum_on: bool
    autovacuum_threshold: float
    frozen_xid: int  # relfrozenxid: see freeze_age
    freeze_max_age: int

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def size_bytes(self) -> int:
        """Exact when read, else pages times block size (as of the last VACUUM or ANALYZE)."""
        return self.total_bytes if self.total_bytes is not None else self.pages * self.block_size

    @property
    def bloat_pct(self) -> float | None:
        return _share(self.bloat_bytes, self.pages, self.block_size)

    @property
    def dead_pct(self) -> float | None:
        live, dead = self.live_tuples or 0, self.dead_tuples or 0
        return 100.0 * dead / (live + dead) if live + dead else None

    @property
    def autovacuum_due(self) -> bool:
        """Dead tuples past autovacuum's threshold: it should run (or is off, or cannot keep up)."""
        return (self.dead_tuples or 0) > self.autovacuum_threshold

    @property
    def last_vacuumed(self) -> datetime | None:
        times = [t for t in (self.last_vacuum, self.last_autovacuum) if t is not None]
        return max(times) if times else None

    @property
    def small(self) -> bool:
        return self.pages < MIN_PAGES

    def freeze_age(self, xid_now: int) -> int:
        """age(relfrozenxid) when the server's transaction counter is ``xid_now``: counted at
        the time it is shown, as an age in time is, since it grows with every transaction on
        the server while the table itself does not change."""
        return xid_age(self.frozen_xid, xid_now)


def xid_age(xid: int, xid_now: int) -> int:
    """What the server's age(xid) says at ``xid_now``: transaction ids are 32 bits and wrap, so
    the difference is a signed 32-bit one; the special ids (frozen, bootstrap) are infinitely old."""
    if xid < FIRST_NORMAL_XID:
        return INT32_MAX
    return (xid_now - xid + 2**31) % 2**32 - 2**31


@dataclass(frozen=True, slots=True)
class IndexBloat:
    oid: int
    schema: str
    table: str
    name: str
    locked: bool
    estimable: bool
    pages: int
    block_size: int
    bytes: int | None
    bloat_bytes: int | None
    scans: int

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def bloat_pct(self) -> float | None:
        return _share(self.bloat_bytes, self.pages, self.block_size)

    @property
    def small(self) -> bool:
        return self.pages < MIN_PAGES


@dataclass(frozen=True, slots=True)
class BloatReading:
    tables: list[TableBloat]
    indexes: list[IndexBloat]
    exact_sizes: bool  # False after a lock race: some sizes are pages x block size
    xid_now: int  # the server's transaction counter at the read: TableBloat.freeze_age's


@dataclass(frozen=True, slots=True)
class ExactBloat:
    """pgstattuple's figures for one relation: a full scan, labelled as such."""

    relation: str
    kind: str  # "table" or "index"
    bytes: int
    wasted_bytes: int  # table: dead tuples + free space; index: what leaf density leaves empty
    wasted_pct: float
    detail: str


def exact_bloat(conn: psycopg.Connection[Any], relation: str, kind: str, *, timeout_ms: int) -> ExactBloat:
    """Read one relation with pgstattuple (tables) or pgstatindex (btree indexes)."""
    import psycopg
    from psycopg import sql as pgsql

    try:
        with conn.transaction():
            conn.execute(pgsql.SQL("SET LOCAL statement_timeout = {}").format(pgsql.Literal(timeout_ms)))
            if kind == "table":
                row = conn.execute(sql.load("read_table_pgstattuple.sql"), {"relation": relation}).fetchone()
                assert row is not None
                size, _live, dead, free, dead_count = (int(v) for v in row)
                wasted = dead + free
                detail = f"{dead_count:,} dead tuples ({format_size(dead)}), {format_size(free)} free"
            else:
                row = conn.execute(sql.load("read_index_pgstatindex.sql"), {"relation": relation}).fetchone()
                assert row is not None
                size, density, fragmentation = int(row[0]), float(row[1]), float(row[2])
                # Against a freshly built index (btree's default fillfactor 90); NaN: no leaf pages.
                wasted = 0 if math.isnan(density) else max(0, int(size * (1 - density / 90)))
                detail = (
                    f"leaf density {density:.0f} % (a fresh index: 90 %), "
                    f"fragmentation {fragmentation:.0f} %; dead entries count as used until VACUUM"
                )
    except psycopg.errors.UndefinedFunction:
        raise CockpitError("pgstattuple is not installed here: CREATE EXTENSION pgstattuple") from None
    except psycopg.errors.InsufficientPrivilege:
        raise CockpitError(
            f"pgstattuple needs privilege: GRANT pg_stat_scan_tables TO {conn.info.user}"
        ) from None
    except psycopg.errors.QueryCanceled:
        raise CockpitError(f"the full scan of {relation} stopped at its {timeout_ms} ms timeout") from None
    return ExactBloat(relation, kind, size, wasted, 100.0 * wasted / size if size else 0.0, detail)


def judge(reading: BloatReading, thresholds: Thresholds, database: str) -> list[Finding]:
    """Bloated tables and indexes, dead-tuple ratios, stale vacuum and freeze age.

    Relations under ``MIN_PAGES`` are never flagged; only problems are listed, with one OK line per
    kind when there is none (hundreds of healthy tables are normal).
    """
    findings: list[Finding] = []
    for t in reading.tables:
        if t.small:
            continue
        subject = f"{database}:{t.qualified}"
        if t.bloat_pct is not None:
            findings.append(
                measured(
                    "bloat.table",
                    subject,
                    t.bloat_pct,
                    f"~{t.bloat_pct:.0f} % bloat "
                    f"({format_size(t.bloat_bytes)} of {format_size(t.size_bytes)})",
                    warn=thresholds.bloat_warn_pct,
                    crit=thresholds.bloat_crit_pct,
                )
            )
        if t.dead_pct is not None:
            findings.append(
                measured(
                    "bloat.dead_tuples",
                    subject,
                    t.dead_pct,
                    f"{t.dead_pct:.0f} % dead tuples ({t.dead_tuples:,})"
                    + ("" if t.autovacuum_on else "; autovacuum is off for this table"),
                    warn=thresholds.dead_tuple_warn_pct,
                )
            )
        freeze_age = t.freeze_age(reading.xid_now)
        freeze_pct = 100.0 * freeze_age / t.freeze_max_age if t.freeze_max_age else 0.0
        findings.append(
            measured(
                "bloat.freeze_age",
                subject,
                freeze_pct,
                f"freeze age {freeze_age:,} ({freeze_pct:.0f} % of autovacuum_freeze_max_age)",
                warn=thresholds.wraparound_warn_pct,
                crit=thresholds.wraparound_crit_pct,
            )
        )
        if t.autovacuum_due and t.last_vacuumed is None:
            findings.append(
                Finding(
                    "bloat.vacuum_stale",
                    subject,
                    Severity.WARN,
                    f"{t.dead_tuples:,} dead tuples past autovacuum's threshold "
                    f"({t.autovacuum_threshold:,.0f}) and never vacuumed",
                )
            )
    for i in reading.indexes:
        if i.small or i.bloat_pct is None:
            continue
        findings.append(
            measured(
                "bloat.index",
                f"{database}:{i.qualified}",
                i.bloat_pct,
                f"~{i.bloat_pct:.0f} % bloat ({format_size(i.bloat_bytes)} of {format_size(i.bytes)})",
                warn=thresholds.bloat_warn_pct,
                crit=thresholds.bloat_crit_pct,
            )
        )
    problems = [f for f in findings if f.severity is not Severity.OK]
    checked = len({f.subject for f in findings})
    if not problems:
        problems.append(
            Finding(
                "bloat.tables", database, Severity.OK, f"{checked} relations checked, none bloated or stale"
            )
        )
    locked = [t.qualified for t in reading.tables if t.locked]
    if locked:
        problems.append(
            Finding(
                "bloat.locked",
                database,
                Severity.OK,
                f"under an ACCESS EXCLUSIVE lock, sizes not read: {', '.join(locked[:5])}",
            )
        )
    return problems
