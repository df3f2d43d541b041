"""The Queries pane's probe for ``cockpit check``: statements and sessions of every database."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from cockpit.config import Database
from cockpit.model import Finding, Snapshot
from cockpit.probes.context import ProbeContext, read_database
from cockpit.probes.queries import StatementsReader, availability, judge, read_sessions

if TYPE_CHECKING:
    import psycopg


async def _one(context: ProbeContext, database: Database) -> list[Finding]:
    async def read(conn: psycopg.AsyncConnection[Any]) -> list[Finding]:
        available = await availability(conn)
        statements = None
        if available.usable:
            assert available.schema is not None
            statements = await StatementsReader(available.schema).read(conn, "mean_exec_time")
        sessions = await read_sessions(conn)
        return judge(statements, sessions, context.thresholds, available, database.name)

    findings = await read_database(context, database, "queries", read)
    return [findings] if isinstance(findings, Finding) else findings


async def queries_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    groups = await asyncio.gather(*(_one(context, db) for db in context.target.databases))
    return Snapshot(
        pane="queries", findings=[f for group in groups for f in group], duration=time.monotonic() - started
    )
