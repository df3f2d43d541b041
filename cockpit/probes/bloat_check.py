"""The Bloat pane's probe for ``cockpit check``: the catalog estimate of every database."""

from __future__ import annotations

import asyncio
import time

from cockpit.config import Database
from cockpit.model import Finding, Snapshot
from cockpit.probes.bloat import judge
from cockpit.probes.bloat_estimate import read_bloat
from cockpit.probes.context import ProbeContext, read_database


async def _one(context: ProbeContext, database: Database) -> list[Finding]:
    reading = await read_database(context, database, "bloat", read_bloat)
    return [reading] if isinstance(reading, Finding) else judge(reading, context.thresholds, database.name)


async def bloat_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    groups = await asyncio.gather(*(_one(context, db) for db in context.target.databases))
    return Snapshot(
        pane="bloat", findings=[f for group in groups for f in group], duration=time.monotonic() - started
    )
