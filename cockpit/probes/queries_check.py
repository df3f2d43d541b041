"""The Queries pane's probe for ``cockpit check``: statements and sessions of every database."""

from __future__ import annotations

import asyncio
import time

from cockpit.config import Database
from cockpit.db import connect_async
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.context import ProbeContext
from cockpit.probes.queries import StatementsReader, availability, judge, read_sessions


async def _one(context: ProbeContext, database: Database) -> list[Finding]:
    try:
        conn = await connect_async(database, context.policy)
    except CockpitError as exc:
        return [Finding("queries.reachable", database.name, Severity.CRIT, str(exc))]
    async with conn:
        available = await availability(conn)
        statements = None
        if available.usable:
            assert available.schema is not None
            statements = await StatementsReader(available.schema).read(conn, "mean_exec_time")
        sessions = await read_sessions(conn)
    return judge(statements, sessions, context.thresholds, available, database.name)


async def queries_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    groups = await asyncio.gather(*(_one(context, db) for db in context.target.databases))
    return Snapshot(
        pane="queries", findings=[f for group in groups for f in group], duration=time.monotonic() - started
    )
