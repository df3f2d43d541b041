"""A pane that runs its probes on a cadence and shows their findings.

Polls never overlap: the next one is scheduled when the last finished (Dolphie's way), and a
pane polls only while it is on screen and no modal covers it. Results update the table in
place. This is the base each pane issue grows from; it already shows exactly what
``cockpit check --pane NAME`` reports.
"""

from __future__ import annotations

import time
from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Label

from cockpit.check import CheckReport, run_checks
from cockpit.units import format_duration
from screens.pane_env import PaneEnv
from widgets.findings_table import FindingsTable
from widgets.status_line import StatusLine


class ProbePane(Vertical):
    """Findings of ``pane``'s probes, refreshed every ``env.refresh_interval_s`` while visible."""

    DEFAULT_CSS = """
    ProbePane > FindingsTable { height: 1fr; }
    """

    def __init__(self, pane: str, env: PaneEnv, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pane = pane
        self.env = env
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine("waiting for the first results...", id="probe-status")
        yield FindingsTable(id=f"{self.pane}-findings")

    def on_show(self) -> None:
        self.poll()

    def on_hide(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def refresh_now(self) -> None:
        self.poll()

    @work(exclusive=True, group="probe-poll", exit_on_error=False)
    async def poll(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.app.screen is not self.screen:  # a modal is open: look again later
            self._schedule()
            return
        started = time.monotonic()
        report = await run_checks(self.env.probe_context, [self.pane])
        self._show(report, time.monotonic() - started)
        self._schedule()

    def _schedule(self) -> None:
        if self.is_attached and self.display and self.is_on_screen:
            self._timer = self.set_timer(self.env.refresh_interval_s, self.poll)

    def _show(self, report: CheckReport, took: float) -> None:
        findings = [f for _, f in report.findings]
        self.query_one(FindingsTable).show(findings)
        status = self.query_one("#probe-status", Label)
        if not report.snapshots:
            status.update("no probes for this pane yet: its checks arrive with the pane")
            return
        took_text = f"{took * 1000:.0f} ms" if took < 1 else format_duration(timedelta(seconds=took))
        status.update(
            f"{len(findings)} findings, worst {report.status.label.upper()}; "
            f"refreshed in {took_text}, every {self.env.refresh_interval_s:g}s"
        )
