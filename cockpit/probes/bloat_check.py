"""The Bloat pane's probe for ``cockpit check``: the catalog estimate of every database."""

from __future__ import annotations

import asyncio
import time

from cockpit.config import Database
from cockpit.db import connect_async
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.bloat import judge, read_bloat
from cockpit.probes.context import ProbeContext


async def _one(context: ProbeContext, database: Database) -> list[Finding]:
    try:
        conn = await connect_async(database, context.policy)
    except CockpitError as exc:
        return [Finding("bloat.reachable", database.name, Severity.CRIT, str(exc))]
    async with conn:
        reading = await read_bloat(conn)
    return judge(reading, context.thresholds, database.name)


async def bloat_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    groups = await asyncio.gather(*(_one(context, db) for db in context.target.databases))
    return Snapshot(
        pane="bloat", findings=[f for group in groups for f in group], duration=time.monotonic() - started
    )
