"""What every probe is handed: the target, its thresholds and the session policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from cockpit.config import Database, Settings, Target, Thresholds
from cockpit.db.sessions import NoAnswer, SessionPolicy, answered, connect_async
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity
from cockpit.state import StateStore

if TYPE_CHECKING:
    import psycopg

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ProbeContext:
    target_name: str
    target: Target
    thresholds: Thresholds
    settings: Settings
    policy: SessionPolicy
    store: StateStore | None = None  # health history; None keeps a probe stateless


async def read_database(
    context: ProbeContext,
    database: Database,
    check: str,
    read: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]],
) -> _T | Finding:
    """Connect, read, close: an unreachable database is a critical ``{check}.reachable`` finding
    (with the connection error's own fix, e.g. the keyring entry to add), not an exception."""

    async def connect_and_read() -> _T | Finding:
        try:
            conn = await connect_async(database, context.policy)
        except CockpitError as exc:
            return Finding(f"{check}.reachable", database.name, Severity.CRIT, str(exc))
        async with conn:
            return await read(conn)

    try:
        return await answered(connect_and_read(), database, context.policy.answer_deadline_s)
    except NoAnswer as exc:  # `cockpit check` from cron must end, whatever the server does
        return Finding(f"{check}.reachable", database.name, Severity.CRIT, str(exc))
