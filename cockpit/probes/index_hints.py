"""Index hints for the Queries pane: labelled as hints, read from statistics, never from tables.

Three readings, each a cheap catalog query: tables read mostly by sequential scans, indexes
never scanned (with their size), and the runbooks' pg_stats query for candidate columns. They
change slowly, so the pane reads them when their view is opened and at most once a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.units import format_size

if TYPE_CHECKING:
    import psycopg

SEQ_SCAN_MIN_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class IndexHint:
    kind: str  # "seq scans", "unused index", "candidate column"
    relation: str
    why: str
    bytes: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.relation}"


async def read_hints(
    conn: psycopg.AsyncConnection[Any], min_rows: int = SEQ_SCAN_MIN_ROWS
) -> list[IndexHint]:
    hints: list[IndexHint] = []
    cursor = await conn.execute(sql.load("read_seq_scanned_tables.sql"), {"min_rows": min_rows})
    for schema, table, seq_scan, seq_read, idx_scan, live, size in await cursor.fetchall():
        hints.append(
            IndexHint(
                "seq scans",
                f"{schema}.{table}",
                f"{seq_scan:,} seq scans read {seq_read:,} rows ({live:,} live); {idx_scan:,} index scans",
                size,
            )
        )
    cursor = await conn.execute(sql.load("read_unused_indexes.sql"))
    for schema, _table, index, size in await cursor.fetchall():
        hints.append(
            IndexHint(
                "unused index",
                f"{schema}.{index}",
                f"never scanned since stats reset; {format_size(size)}",
                size,
            )
        )
    cursor = await conn.execute(sql.load("read_candidate_columns.sql"))
    for schema, table, column, distinct, correlation in await cursor.fetchall():
        hints.append(
            IndexHint(
                "candidate column",
                f"{schema}.{table}.{column}",
                f"n_distinct {distinct:g}, correlation {correlation:.2f}: filtered on? consider an index",
            )
        )
    return hints
