"""The bloat estimate of one database, read whole or kept between reads: only what moved is read again.

On a catalog of 10,000 tables the estimate costs seconds (pg_stats checks a privilege per column)
and the exact sizes seconds more (each size call opens the relation), yet between two reads of
the Bloat pane, minutes apart, most relations have not moved. So ``BloatEstimate.read``:

1. reads one number per relation (db/sql/read_bloat_changes.sql) that hashes what moves its
   estimate or its size, with the one figure that moves all the time (an index's scans), and the
   server's transaction counter, which the tables' freeze ages are counted to;
2. estimates again only the relations whose number changed or that are new (read_bloat_tables.sql
   and read_bloat_indexes.sql, given their oids), and keeps the others with their fresh scans;

and ``BloatEstimate.read_sizes`` then reads the exact sizes of the relations estimated again
(read_relation_sizes.sql), in batches. Two steps, so that a new session's first read shows the
estimate as soon as it is made and the sizes after; until then a size is its pages times the
block size, as of the last VACUUM or ANALYZE.

Everything is read again every ``FULL_EVERY_S`` and whenever the settings the thresholds are
counted from change (a reload): what no counter shows, a dropped column or statistics restored by
hand, is at most that old. ``read_bloat`` is the whole read, both steps, on a new estimate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from cockpit.db import sql
from cockpit.db.rows import fetch_sliced
from cockpit.probes.bloat import FIRST_NORMAL_XID, BloatReading, IndexBloat, TableBloat

if TYPE_CHECKING:
    import psycopg

_T = TypeVar("_T")

FULL_EVERY_S = 3600.0
# Relations sized per statement: each size call opens the relation, which on a new session
# builds its cache entry first; a batch keeps each statement well under statement_timeout.
SIZE_BATCH = 2_000


class _Moved(NamedTuple):
    """A relation's row in read_bloat_changes.sql (after its oid)."""

    table_oid: int | None  # an index's table; None for a table
    btree: bool
    scans: int | None  # an index's
    number: int  # what moves its estimate or size, hashed

    @property
    def is_index(self) -> bool:
        return self.table_oid is not None


class BloatEstimate:
    """One database's estimate (``schema`` and ``min_bytes`` as the pane's filter says), kept
    between reads: see the module. Not shared between tasks: one read at a time."""

    def __init__(
        self, *, schema: str | None = None, min_bytes: int = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.schema = schema
        self.min_bytes = min_bytes
        self._clock = clock
        self._moved: dict[int, _Moved] = {}
        self._settings: tuple[Any, ...] | None = None
        self._xid_now = 0
        self._full_at: float | None = None
        self._tables: dict[int, TableBloat] = {}
        self._indexes: dict[int, IndexBloat] = {}
        self._unsized: set[int] = set()  # relations estimated whose exact size is still to read
        self._table_order: list[int] = []  # oids, the most wasteful first
        self._index_order: list[int] = []
        self._keys: dict[int, tuple[bool, int, int, str]] = {}  # by oid: _most_wasteful's
        self._raced = False  # the last sizes met a lock taken after the lock check
        self.estimated = 0  # relations the last read estimated (the rest were kept)
        self._working = threading.Lock()  # see _off_loop

    @property
    def sizes_pending(self) -> bool:
        """Relations shown with pages times block size until ``read_sizes``."""
        return bool(self._unsized)

    def reading(self) -> BloatReading:
        """What the estimate holds, the most wasteful first (as read_bloat_tables.sql orders)."""
        return BloatReading(
            [self._tables[oid] for oid in self._table_order],
            [self._indexes[oid] for oid in self._index_order],
            exact_sizes=not self._raced,
            xid_now=self._xid_now,
        )

    def _sort(self, estimated: Iterable[TableBloat | IndexBloat]) -> None:
        """The order, made again only when an estimate changed (freeze age, scans and sizes do
        not move it), each relation's sort key made once per estimate."""
        self._keys.update((r.oid, _most_wasteful(r)) for r in estimated)
        self._table_order = sorted(self._tables, key=self._keys.__getitem__)
        self._index_order = sorted(self._indexes, key=self._keys.__getitem__)

    async def read(self, conn: psycopg.AsyncConnection[Any]) -> BloatReading:
        """Estimate what moved since the last read (everything on the first): step 1 and 2.

        The rows are fetched on the caller's loop; what is made of them (30,000 relations
        compared, built, merged and sorted: a few hundred ms of Python on a large estate) on a
        worker thread, so that the cockpit goes on answering keys meanwhile.
        """
        settings, xid_now = await _settings(conn)
        cursor = await conn.execute(sql.load("read_bloat_changes.sql"), {"schema": self.schema})
        changes = await fetch_sliced(cursor)
        moved = await asyncio.to_thread(_moved_of, changes)
        now = self._clock()
        full = self._full_at is None or settings != self._settings or now - self._full_at >= FULL_EVERY_S
        tables_wanted, indexes_wanted = (None, None) if full else await self._off_loop(self._wanted, moved)
        table_rows = (
            await self._estimate(conn, "read_bloat_tables.sql", tables_wanted)
            if tables_wanted != set()
            else []
        )
        index_rows = (
            await self._estimate(conn, "read_bloat_indexes.sql", indexes_wanted)
            if indexes_wanted != set()
            else []
        )
        return await self._off_loop(
            self._kept,
            settings=settings,
            xid_now=xid_now,
            moved=moved,
            table_rows=table_rows,
            index_rows=index_rows,
            full=full,
            now=now,
        )

    async def _off_loop(self, work: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``work`` on a worker thread, one at a time: a read given up on (its deadline passed)
        leaves its thread running, and the next read must not change the estimate beside it."""

        def locked() -> _T:
            with self._working:
                return work(*args, **kwargs)

        return await asyncio.to_thread(locked)

    def _kept(
        self,
        *,
        settings: tuple[Any, ...],
        xid_now: int,
        moved: dict[int, _Moved],
        table_rows: list[dict[str, Any]],
        index_rows: list[dict[str, Any]],
        full: bool,
        now: float,
    ) -> BloatReading:
        """The estimate kept, with what was just read: step 2's Python (see ``read``)."""
        tables = {row["oid"]: _table(row, self._tables.get(row["oid"])) for row in table_rows}
        indexes = {row["oid"]: _index(row, self._indexes.get(row["oid"])) for row in index_rows}
        # Kept in step only once every statement answered: a read that failed leaves the last.
        # A kept table is kept as it is: its freeze age is counted to the reading's xid_now.
        self._tables = self._merged(moved, tables, self._tables, full)
        self._indexes = self._merged(moved, indexes, self._indexes, full, _fresh_index)
        shown = self._tables.keys() | self._indexes.keys()
        self._unsized = (self._unsized | tables.keys() | indexes.keys()) & shown
        self._moved, self._settings, self._xid_now = moved, settings, xid_now
        if full:
            self._keys, self._full_at = {}, now
        if tables or indexes or len(self._table_order) + len(self._index_order) != len(shown):
            self._sort([*tables.values(), *indexes.values()])
        self.estimated = len(tables) + len(indexes)
        return self.reading()

    async def read_sizes(self, conn: psycopg.AsyncConnection[Any]) -> BloatReading:
        """The exact sizes of the relations estimated and not yet sized: step 3 (each batch's
        rows taken into the estimate on a worker thread, as ``read`` does)."""
        import psycopg

        self._raced = False
        for batch in _batches(sorted(self._unsized), SIZE_BATCH):
            params = {
                "tables": [oid for oid in batch if oid in self._tables],
                "indexes": [oid for oid in batch if oid in self._indexes],
            }
            try:
                cursor = await conn.execute(sql.load("read_relation_sizes.sql"), params)
                rows = await fetch_sliced(cursor)
            except psycopg.errors.LockNotAvailable:
                # A lock taken between the lock check and a size call: sized at the next read.
                self._raced = True
                continue
            await self._off_loop(self._sized, rows)
        return await self._off_loop(self.reading)

    def _sized(self, rows: list[tuple[Any, ...]]) -> None:
        for oid, is_table, locked, main_bytes, total_bytes, index_bytes, toast_bytes in rows:
            if is_table and oid in self._tables:
                self._tables[oid] = dataclasses.replace(
                    self._tables[oid],
                    locked=locked,
                    total_bytes=total_bytes,
                    table_bytes=main_bytes,
                    index_bytes=index_bytes,
                    toast_bytes=toast_bytes,
                )
            elif not is_table and oid in self._indexes:
                index = self._indexes[oid]
                self._indexes[oid] = dataclasses.replace(index, locked=locked, bytes=main_bytes)
            self._unsized.discard(oid)

    # -- step 1: what moved -----------------------------------------------------------------

    def _wanted(self, moved: dict[int, _Moved]) -> tuple[set[int], set[int]]:
        """The tables and btree indexes to estimate again: those whose number changed or that
        are new; a table whose index (of any kind) changed, came or went (its index size moved);
        the btree indexes of a table estimated again (its name or statistics may have moved)."""
        changed = {
            oid
            for oid, now in moved.items()
            if oid not in self._moved or self._moved[oid].number != now.number
        }
        went = [self._moved[oid] for oid in self._moved.keys() - moved.keys()]
        tables = {oid for oid in changed if not moved[oid].is_index}
        for index in [moved[oid] for oid in changed if moved[oid].is_index] + went:
            if index.table_oid is not None:
                tables.add(index.table_oid)
        indexes = {oid for oid, m in moved.items() if m.btree and (oid in changed or m.table_oid in tables)}
        return tables & moved.keys(), indexes

    # -- step 2: the estimate ---------------------------------------------------------------

    async def _estimate(
        self, conn: psycopg.AsyncConnection[Any], statement: str, oids: set[int] | None
    ) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        params = {
            "schema": self.schema,
            "min_bytes": self.min_bytes,
            "oids": None if oids is None else sorted(oids),
        }
        cursor = conn.cursor(row_factory=dict_row)
        # Never prepared: a plan made for every relation would serve a read of a few of them.
        await cursor.execute(sql.load(statement), params, prepare=False)
        return await fetch_sliced(cursor)

    @staticmethod
    def _merged(
        moved: dict[int, _Moved],
        estimated: dict[int, Any],
        kept: dict[int, Any],
        full: bool,
        fresh: Callable[[Any, _Moved], Any] | None = None,
    ) -> dict[int, Any]:
        """The relations to show: the ones just estimated, and the kept ones that did not move
        (through ``fresh``, given their row as read now). A relation not estimated and not kept
        is one the estimate leaves out (under ``min_bytes``)."""
        if full:
            return estimated
        merged = dict(estimated)
        for oid, relation in kept.items():
            if oid not in merged and oid in moved:
                merged[oid] = relation if fresh is None else fresh(relation, moved[oid])
        return merged


def _moved_of(rows: list[tuple[Any, ...]]) -> dict[int, _Moved]:
    """read_bloat_changes.sql's rows by oid."""
    return {row[0]: _Moved._make(row[1:]) for row in rows}


def _fresh_index(index: IndexBloat, moved: _Moved) -> IndexBloat:
    if moved.scans is None or moved.scans == index.scans:
        return index
    return dataclasses.replace(index, scans=moved.scans)


def _table(row: dict[str, Any], before: TableBloat | None) -> TableBloat:
    """A table as estimated, with its exact sizes of before until they are read again."""
    return TableBloat(
        **row,
        locked=before.locked if before else False,
        total_bytes=before.total_bytes if before else None,
        table_bytes=before.table_bytes if before else None,
        index_bytes=before.index_bytes if before else None,
        toast_bytes=before.toast_bytes if before else None,
    )


def _index(row: dict[str, Any], before: IndexBloat | None) -> IndexBloat:
    return IndexBloat(
        oid=row["oid"],
        schema=row["schema"],
        table=row["table_name"],
        name=row["name"],
        locked=before.locked if before else False,
        estimable=row["estimable"],
        pages=row["pages"],
        block_size=row["block_size"],
        bytes=before.bytes if before else None,
        bloat_bytes=row["bloat_bytes"],
        scans=row["scans"],
    )


def _most_wasteful(relation: TableBloat | IndexBloat) -> tuple[bool, int, int, str]:
    return (relation.bloat_bytes is None, -(relation.bloat_bytes or 0), -relation.pages, relation.qualified)


def _batches(oids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(oids), size):
        yield oids[start : start + size]


async def _settings(conn: psycopg.AsyncConnection[Any]) -> tuple[tuple[Any, ...], int]:
    """The settings the estimate is counted from, and the server's transaction counter."""
    cursor = await conn.execute(sql.load("read_bloat_settings.sql"))
    row = await cursor.fetchone()
    assert row is not None
    *settings, age_of_first_xid = row
    return tuple(settings), (age_of_first_xid + FIRST_NORMAL_XID) % 2**32


async def read_bloat(
    conn: psycopg.AsyncConnection[Any], *, schema: str | None = None, min_bytes: int = 0
) -> BloatReading:
    """The estimate for every table and btree index, exact sizes included (largest waste first).

    Every relation, not the top N: findings (dead tuples, freeze age) concern tables that waste
    little, and the pane's word filter looks at all of them. 10,000 tables is a few MB.
    """
    estimate = BloatEstimate(schema=schema, min_bytes=min_bytes)
    await estimate.read(conn)
    return await estimate.read_sizes(conn)
