"""Is each configured database reachable, and what runs there? The cheapest possible probe.

One round trip per database with the cockpit's session policy (application_name, timeouts,
read-only in observer mode). An unreachable database is a CRIT finding, never a crash.
"""

from __future__ import annotations

import asyncio
import time

from cockpit.db import connect_async
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.context import ProbeContext

CHECK = "postgres.reachable"


async def _one(context: ProbeContext, index: int) -> Finding:
    database = context.target.databases[index]
    try:
        connection = await asyncio.wait_for(
            connect_async(database, context.policy), context.settings.connect_timeout_s + 1
        )
    except TimeoutError:
        return Finding(
            CHECK,
            database.name,
            Severity.CRIT,
            "connection timed out",
            hint="is the server up and the host/port in the DSN right?",
        )
    except CockpitError as exc:
        return Finding(
            CHECK,
            database.name,
            Severity.CRIT,
            str(exc),
            hint="check the DSN, the network and the keyring password",
        )
    async with connection:
        cursor = await connection.execute("SELECT current_setting('server_version')")
        row = await cursor.fetchone()
    version = row[0] if row else "?"
    return Finding(CHECK, database.name, Severity.OK, f"reachable, PostgreSQL {version}", value=version)


async def databases_reachable(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    findings = await asyncio.gather(*(_one(context, i) for i in range(len(context.target.databases))))
    return Snapshot(pane="health", findings=findings, duration=time.monotonic() - started)
