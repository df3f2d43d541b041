"""cockpit.db.rows.fetch_sliced on the sandbox's real server: every row, in order, with the event
loop served between slices (a key pressed while 30,000 rows are made waits for one slice only)."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from cockpit.db.rows import SLICE_ROWS, fetch_sliced
from cockpit.sandbox.manager import Sandbox


class _CountingCursor(psycopg.AsyncCursor[dict[str, Any]]):
    """The real cursor, counting the rows its fetchmany made."""

    made: list[int]

    async def fetchmany(self, size: int = 0) -> list[dict[str, Any]]:
        part = await super().fetchmany(size)
        self.made[0] += len(part)
        return part


@pytest.mark.parametrize("count", [0, SLICE_ROWS - 1, SLICE_ROWS, SLICE_ROWS * 2 + 500])
async def test_every_row_comes_in_order_and_the_loop_runs_between_slices(
    sandbox: Sandbox, count: int
) -> None:
    made = [0]  # rows made so far, counted around the real cursor's fetchmany
    seen_by_other_task: list[int] = []

    async def other_task() -> None:
        while True:
            seen_by_other_task.append(made[0])
            await asyncio.sleep(0)

    async with await psycopg.AsyncConnection.connect(sandbox.postgres.dsn()) as conn:
        cursor = _CountingCursor(conn, row_factory=dict_row)
        cursor.made = made
        await cursor.execute("SELECT n FROM generate_series(1, %s) AS n", [count])
        beside = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        try:
            result = await fetch_sliced(cursor)
        finally:
            beside.cancel()
    assert [r["n"] for r in result] == list(range(1, count + 1))
    between = sorted({n for n in seen_by_other_task if 0 < n < count})
    if count > SLICE_ROWS:
        assert between == [SLICE_ROWS, SLICE_ROWS * 2], "the loop was not served between the slices"
