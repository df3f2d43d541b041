"""Who holds the lock an action waits for: the one line an operator reads when VACUUM, REINDEX or
pg_dump gave up on a lock timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.probes.queries import short
from cockpit.units import format_duration

if TYPE_CHECKING:
    import psycopg

# For each lock a statement takes, the modes held by other sessions that block it.
_BLOCKED_BY = {
    "AccessShareLock": ("AccessExclusiveLock",),  # a read: pg_dump, a backup's row counts
    "ShareUpdateExclusiveLock": (
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ),
    "AccessExclusiveLock": (
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ),
}

RELEASED = "the lock was released since"


def lock_holders(conn: psycopg.Connection[Any], relation: str, wanted: str) -> str:
    """Who holds a lock on ``relation`` that blocks ``wanted``: one line for the operator."""
    rows = conn.execute(
        sql.load("read_lock_holders.sql"), {"relation": relation, "modes": list(_BLOCKED_BY[wanted])}
    ).fetchall()
    if not rows:
        return RELEASED
    return "; ".join(
        f"pid {pid} ({user}, {state}, transaction open {_age(age)}, {mode}): {short(query or '', 50)}"
        for pid, user, state, age, query, mode in rows[:3]
    )


def _age(seconds: int | None) -> str:
    """A session with no transaction has no transaction age."""
    return "?" if seconds is None else format_duration(seconds)
