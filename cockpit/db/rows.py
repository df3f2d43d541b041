"""A result's rows fetched in slices, with the event loop served between them.

Why: psycopg makes a result's Python rows when they are fetched, on the caller's event loop. The
Bloat pane's estate (10,000 tables, 20,000 indexes) as rows held the loop 50-150 ms in one piece,
and a key pressed meanwhile waited for all of it (bench/README.md). A slice of ``SLICE_ROWS``
takes a few milliseconds, and whatever came meanwhile (a key, a frame) runs before the next.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # psycopg is imported where a session is opened, not at the cockpit's start
    import psycopg

_Row = TypeVar("_Row")

SLICE_ROWS = 1000  # about 2-5 ms of row making for the estate's widest rows (dicts of 20 columns)


async def fetch_sliced(cursor: psycopg.AsyncCursor[_Row]) -> list[_Row]:
    """Every row of the cursor's result, ``SLICE_ROWS`` at a time, the loop served between."""
    rows: list[_Row] = []
    while True:
        part = await cursor.fetchmany(SLICE_ROWS)
        rows.extend(part)
        if len(part) < SLICE_ROWS:
            return rows
        await asyncio.sleep(0)
