"""The health pane's probe for ``cockpit check``: every endpoint and database, once.

The same judging functions as the pane (``http.judge``, ``postgres.judge``), with windows seeded
from the state store's history, so a cron'd ``cockpit check`` and the pane agree; the samples it
takes are recorded too, so successive runs build the history the p95 and error rate need.
"""

from __future__ import annotations

import asyncio
import time

from cockpit.model import Finding, Snapshot
from cockpit.probes import health_history
from cockpit.probes.context import ProbeContext
from cockpit.probes.http import HttpProber
from cockpit.probes.http import judge as judge_endpoint
from cockpit.probes.postgres import PgHealthMonitor
from cockpit.probes.postgres import judge as judge_database
from cockpit.probes.rolling import DEFAULT_SPAN, RollingWindow, Sample
from cockpit.probes.rows import EndpointStatus, PgHealth


async def read_databases(context: ProbeContext) -> list[PgHealth]:
    monitors = [PgHealthMonitor(db, context.policy) for db in context.target.databases]
    try:
        return list(await asyncio.gather(*(m.read() for m in monitors)))
    finally:
        await asyncio.gather(*(m.aclose() for m in monitors))


async def probe_endpoints(context: ProbeContext) -> list[Sample]:
    prober = HttpProber(context.settings.http_concurrency)
    try:
        return list(await asyncio.gather(*(prober.probe(e) for e in context.target.health)))
    finally:
        await prober.aclose()


def database_sample(reading: PgHealth) -> Sample:
    """A reading as a history sample: reachable or not, and the round trip's time."""
    return Sample(
        at=time.time(),
        ok=reading.reachable and not reading.error,
        latency_ms=reading.query_ms,
        detail=reading.error,
    )


async def health_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    samples, readings = await asyncio.gather(probe_endpoints(context), read_databases(context))
    store, target = context.store, context.target_name
    rows: list[EndpointStatus | PgHealth] = []
    findings: list[Finding] = []
    for endpoint, sample in zip(context.target.health, samples, strict=True):
        past = (
            health_history.load(store, target, "http", endpoint.name, DEFAULT_SPAN)
            if store is not None
            else []
        )
        status, judged = judge_endpoint(
            endpoint, RollingWindow(DEFAULT_SPAN, [*past, sample]), context.thresholds
        )
        rows.append(status)
        findings.extend(judged)
    for reading in readings:
        rows.append(reading)
        findings.extend(judge_database(reading, context.thresholds))
    if store is not None:
        taken = [("http", e.name, s) for e, s in zip(context.target.health, samples, strict=True)]
        taken += [("pg", r.name, database_sample(r)) for r in readings]
        health_history.record(store, target, taken)
        health_history.prune(store, context.settings.history_retention, context.settings.history_max_samples)
    return Snapshot(pane="health", rows=rows, findings=findings, duration=time.monotonic() - started)
