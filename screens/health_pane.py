"""The Health pane: HTTP endpoints and PostgreSQL databases, live, with history.

Endpoints are probed by the core's ``EndpointWatcher`` in a thread worker (each at its own
interval, on an event loop of its own), so a slow or hanging endpoint never delays the others and
never the keys; each database keeps one session (its monitor's) and reads its health every
refresh while the pane is on screen, in a loop of its own. Windows are seeded from the state
store, so p95 and sparklines survive a restart, and every sample is recorded there. Findings come
from the same ``judge`` functions as ``cockpit check --pane health``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label
from textual.worker import get_current_worker

from cockpit.config import Database, HealthEndpoint
from cockpit.model import Finding, Severity
from cockpit.probes import health_history
from cockpit.probes.endpoint_watcher import EndpointWatcher
from cockpit.probes.health import database_sample
from cockpit.probes.http import judge as judge_endpoint
from cockpit.probes.postgres import PgHealthMonitor
from cockpit.probes.postgres import judge as judge_database
from cockpit.probes.rolling import DEFAULT_SPAN, RollingWindow, Sample
from cockpit.probes.rows import EndpointStatus, PgHealth
from screens.cadence import EveryRefresh
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.findings_table import FindingsTable
from widgets.health_tables import DatabaseTable, EndpointTable
from widgets.status_line import StatusLine

PRUNE_EVERY_S = 600.0
# Samples arrive one by one (200 endpoints: 100 a second); the screen is updated at most this
# often, touching only the rows that changed, so the event loop and the SSH link stay idle.
FLUSH_EVERY_S = 1.0


class HealthPane(PollingPane):
    """Endpoints, databases, and the findings about them, worst first."""

    BINDINGS = [Binding("a", "toggle_all", "All findings")]
    show_all = False

    DEFAULT_CSS = """
    HealthPane > EndpointTable { height: auto; max-height: 35%; }
    HealthPane > DatabaseTable { height: auto; max-height: 25%; margin-top: 1; }
    HealthPane > FindingsTable { height: 1fr; margin-top: 1; }
    """

    def __init__(self, env: PaneEnv, **kwargs: object) -> None:
        super().__init__(env, **kwargs)
        context = env.probe_context
        self.endpoints = list(context.target.health)
        self.databases = list(context.target.databases)
        # (name, sample, status, findings) from the probing thread, judged there.
        self._inbox: deque[tuple[str, Sample, EndpointStatus, list[Finding]]] = deque()
        self._monitors = {db.name: PgHealthMonitor(db, context.policy) for db in self.databases}
        self._windows = {e.name: RollingWindow(DEFAULT_SPAN) for e in self.endpoints}
        self._statuses: dict[str, EndpointStatus] = {}
        self._readings: dict[str, tuple[PgHealth, Severity]] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._pruned_at = 0.0
        self._dirty_endpoints: set[str] = set()
        self._pending: list[tuple[str, str, Sample]] = []
        self._dirty_findings = False
        self._watcher = EndpointWatcher(self.endpoints, context.settings.http_concurrency, self._sampled)

    def compose(self) -> ComposeResult:
        yield StatusLine("starting...", id="health-status")
        if self.endpoints:
            yield EndpointTable(id="health-endpoints")
        if self.databases:
            yield DatabaseTable(id="health-databases")
        yield FindingsTable(id="health-findings")

    async def on_mount(self) -> None:
        self.set_interval(FLUSH_EVERY_S, self._flush)
        # After the first frame: the probes' first steps import psycopg and httpx, which would
        # otherwise hold the first frame back (bench/first_frame.py).
        self.call_after_refresh(self._start)

    # A worker made when called: no coroutine is created before it runs (an exit right after the
    # first frame would leave one never awaited, and Python warn at exit).
    @work(group="health", exit_on_error=False)
    async def _start(self) -> None:
        await self._seed_from_history()
        if self.endpoints:
            self._probe_endpoints()
        for database in self.databases:
            every_refresh = EveryRefresh(lambda: self.env.refresh_interval_s)
            self.poll(self._database_reader(database), every_refresh, description=f"Reading {database.name}")

    async def _seed_from_history(self) -> None:
        store = self.env.probe_context.store
        if store is None:
            return
        target = self.env.probe_context.target_name
        for endpoint in self.endpoints:
            past = await asyncio.to_thread(
                health_history.load, store, target, "http", endpoint.name, DEFAULT_SPAN
            )
            self._windows[endpoint.name] = RollingWindow(DEFAULT_SPAN, past)
            if past:
                self._accept(endpoint.name, *self._judge(endpoint))
        await self._flush()

    @work(thread=True, group="health-http", exit_on_error=False, description="Probing endpoints")
    def _probe_endpoints(self) -> None:
        worker, app = get_current_worker(), self.app  # now, while the pane is attached
        # The app gone or the worker cancelled ends the watch too: an exit cut short by a signal
        # never calls on_unmount, and this thread must not hold the process (and the demo's
        # sandbox) open.
        self._watcher.run(lambda: not worker.is_cancelled and app.is_running)

    def _sampled(self, endpoint: HealthEndpoint, sample: Sample) -> None:
        """On the watcher's thread, which owns the windows from the first sample on: judged
        there, shown by the next flush."""
        self._windows[endpoint.name].add(sample)
        self._inbox.append((endpoint.name, sample, *self._judge(endpoint)))  # thread-safe

    def _database_reader(self, database: Database) -> Callable[[], Awaitable[None]]:
        monitor = self._monitors[database.name]

        async def read() -> None:
            reading = await monitor.read()
            findings = judge_database(reading, self.env.probe_context.thresholds)
            self._readings[database.name] = (reading, Severity.worst(f.severity for f in findings))
            self._findings[f"pg:{database.name}"] = findings
            self.query_one(DatabaseTable).show(list(self._readings.values()))
            self._dirty_findings = True
            self._pending.append(("pg", database.name, database_sample(reading)))

        return read

    def _judge(self, endpoint: HealthEndpoint) -> tuple[EndpointStatus, list[Finding]]:
        return judge_endpoint(endpoint, self._windows[endpoint.name], self.env.probe_context.thresholds)

    def _accept(self, name: str, status: EndpointStatus, findings: list[Finding]) -> None:
        self._statuses[name] = status
        self._findings[f"http:{name}"] = findings
        self._dirty_endpoints.add(name)

    async def _flush(self) -> None:
        """Once a second: show the endpoints judged since the last flush (only their rows), and
        write the pending samples to history in one transaction (not one per sample)."""
        while self._inbox:
            name, sample, status, findings = self._inbox.popleft()
            self._accept(name, status, findings)
            self._pending.append(("http", name, sample))
        if self._dirty_endpoints:
            changed = [self._statuses[name] for name in self._dirty_endpoints]
            self._dirty_endpoints.clear()
            self.query_one(EndpointTable).show(changed, complete=False)
            self._dirty_findings = True
        if self._dirty_findings:
            self._dirty_findings = False
            self._show_findings()
        if self._pending:
            pending, self._pending = self._pending, []
            await self._record(pending)

    def _show_findings(self) -> None:
        """The problems only: the tables above already say OK, and OK messages change with every
        sample (latencies), which would repaint the screen for nothing. `a` shows them all."""
        findings = [f for group in self._findings.values() for f in group]
        problems = [f for f in findings if f.severity is not Severity.OK]
        self.query_one(FindingsTable).show(findings if self.show_all else problems)
        worst = Severity.worst(f.severity for f in findings)
        self.query_one("#health-status", Label).update(
            f"{len(self.endpoints)} endpoints, {len(self.databases)} databases: "
            f"worst {worst.label.upper()}, {len(problems)} problems, "
            f"{len(findings) - len(problems)} checks OK{'' if self.show_all else ' (a: show all)'}"
        )

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._show_findings()

    async def _record(self, pending: list[tuple[str, str, Sample]]) -> None:
        store = self.env.probe_context.store
        if store is None:
            return
        context = self.env.probe_context
        await asyncio.to_thread(health_history.record, store, context.target_name, pending)
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            retention = context.settings.history_retention
            await asyncio.to_thread(
                health_history.prune, store, retention, context.settings.history_max_samples
            )

    async def on_unmount(self) -> None:
        self._watcher.stop()
        store = self.env.probe_context.store
        if store is not None and self._pending:  # samples taken since the last flush are kept
            health_history.record(store, self.env.probe_context.target_name, self._pending)
            self._pending = []
        for monitor in self._monitors.values():
            await monitor.aclose()
