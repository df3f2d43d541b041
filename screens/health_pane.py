"""The Health pane: HTTP endpoints and PostgreSQL databases, live, with history.

Each endpoint polls in its own worker at its own interval, so a slow or hanging endpoint never
delays the others; each database keeps one session and reads its health every refresh while the
pane is on screen. Windows are seeded from the state store, so p95 and sparklines survive a
restart, and every sample is recorded there. Findings come from the same ``judge`` functions
as ``cockpit check --pane health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from cockpit import history
from cockpit.config import Database, HealthEndpoint
from cockpit.durations import parse_duration
from cockpit.model import Finding, Severity
from cockpit.probes.health import database_sample
from cockpit.probes.http import HttpProber
from cockpit.probes.http import judge as judge_endpoint
from cockpit.probes.postgres import PgHealthMonitor
from cockpit.probes.postgres import judge as judge_database
from cockpit.probes.rows import EndpointStatus, PgHealth
from cockpit.rolling import DEFAULT_SPAN, RollingWindow, Sample
from screens.pane_env import PaneEnv
from widgets.findings_table import FindingsTable
from widgets.health_tables import DatabaseTable, EndpointTable

PRUNE_EVERY_S = 600.0


class HealthPane(Vertical):
    """Endpoints, databases, and every finding about them, worst first."""

    DEFAULT_CSS = """
    HealthPane > #health-status { height: 1; color: $text-muted; padding: 0 1; }
    HealthPane > EndpointTable { height: auto; max-height: 35%; }
    HealthPane > DatabaseTable { height: auto; max-height: 25%; margin-top: 1; }
    HealthPane > FindingsTable { height: 1fr; margin-top: 1; }
    """

    def __init__(self, env: PaneEnv, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.env = env
        context = env.probe_context
        self.endpoints = list(context.target.health)
        self.databases = list(context.target.databases)
        self._prober = HttpProber(context.settings.http_concurrency)
        self._monitors = {db.name: PgHealthMonitor(db, context.policy) for db in self.databases}
        self._windows = {e.name: RollingWindow(DEFAULT_SPAN) for e in self.endpoints}
        self._statuses: dict[str, EndpointStatus] = {}
        self._readings: dict[str, tuple[PgHealth, Severity]] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._wake = asyncio.Event()
        self._pruned_at = 0.0

    def compose(self) -> ComposeResult:
        yield Label("starting...", id="health-status")
        if self.endpoints:
            yield EndpointTable(id="health-endpoints")
        if self.databases:
            yield DatabaseTable(id="health-databases")
        yield FindingsTable(id="health-findings")

    async def on_mount(self) -> None:
        self.run_worker(self._start(), group="health", exit_on_error=False)

    async def _start(self) -> None:
        await self._seed_from_history()
        for endpoint in self.endpoints:
            self.run_worker(
                self._endpoint_loop(endpoint),
                group="health-http",
                exit_on_error=False,
                description=f"Probing {endpoint.name}",
            )
        for database in self.databases:
            self.run_worker(
                self._database_loop(database),
                group="health-db",
                exit_on_error=False,
                description=f"Reading {database.name}",
            )

    async def _seed_from_history(self) -> None:
        store = self.env.probe_context.store
        if store is None:
            return
        target = self.env.probe_context.target_name
        for endpoint in self.endpoints:
            past = await asyncio.to_thread(history.load, store, target, "http", endpoint.name, DEFAULT_SPAN)
            self._windows[endpoint.name] = RollingWindow(DEFAULT_SPAN, past)
            if past:
                self._show_endpoint(endpoint)

    async def _endpoint_loop(self, endpoint: HealthEndpoint) -> None:
        while True:
            sample = await self._prober.probe(endpoint)
            self._windows[endpoint.name].add(sample)
            self._show_endpoint(endpoint)
            await self._record("http", endpoint.name, sample)
            await asyncio.sleep(endpoint.interval_s)

    async def _database_loop(self, database: Database) -> None:
        monitor = self._monitors[database.name]
        while True:
            if self.is_on_screen:
                reading = await monitor.read()
                findings = judge_database(reading, self.env.probe_context.thresholds)
                self._readings[database.name] = (reading, Severity.worst(f.severity for f in findings))
                self._findings[f"pg:{database.name}"] = findings
                self.query_one(DatabaseTable).show(list(self._readings.values()))
                self._show_findings()
                await self._record("pg", database.name, database_sample(reading))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # woken early by `r`, or the interval passed
                await asyncio.wait_for(self._wake.wait(), self.env.refresh_interval_s)

    def _show_endpoint(self, endpoint: HealthEndpoint) -> None:
        status, findings = judge_endpoint(
            endpoint, self._windows[endpoint.name], self.env.probe_context.thresholds
        )
        self._statuses[endpoint.name] = status
        self._findings[f"http:{endpoint.name}"] = findings
        self.query_one(EndpointTable).show(
            [self._statuses[e.name] for e in self.endpoints if e.name in self._statuses]
        )
        self._show_findings()

    def _show_findings(self) -> None:
        findings = [f for group in self._findings.values() for f in group]
        self.query_one(FindingsTable).show(findings)
        worst = Severity.worst(f.severity for f in findings)
        problems = sum(1 for f in findings if f.severity is not Severity.OK)
        self.query_one("#health-status", Label).update(
            f"{len(self.endpoints)} endpoints, {len(self.databases)} databases: "
            f"worst {worst.label.upper()}, {problems} problems"
        )

    async def _record(self, kind: str, subject: str, sample: Sample) -> None:
        store = self.env.probe_context.store
        if store is None:
            return
        context = self.env.probe_context
        await asyncio.to_thread(history.record, store, context.target_name, kind, [(subject, sample)])
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            retention: timedelta = parse_duration(context.settings.history_retention)
            await asyncio.to_thread(history.prune, store, retention, context.settings.history_max_samples)

    def refresh_now(self) -> None:
        """``r``: read the databases now (endpoints keep their own intervals)."""
        self._wake.set()

    async def on_unmount(self) -> None:
        await self._prober.aclose()
        for monitor in self._monitors.values():
            await monitor.aclose()
