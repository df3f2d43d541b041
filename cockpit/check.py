"""``cockpit check``: every configured probe once, headless, as a Nagios plugin.

Exits 0 ok, 1 warn, 2 crit, 3 unknown (a usage error too: cli.py). The plain output follows the
Nagios plugin guidelines: the first line is the status and a summary, then ``|`` and the
findings' values as perfdata (``'label'=value[UOM];warn;crit``), and the table of findings
follows as the long text. ``--json`` prints one object instead. A probe that raises becomes an
UNKNOWN finding naming the probe: a monitor that crashes tells you nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cockpit.errors import MonitorUsageError, UsageError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.pane_probes import PANE_LIBRARIES, PANE_PROBES, PANES, Probe
from cockpit.probes import ProbeContext
from cockpit.redact import redact

if TYPE_CHECKING:
    import argparse

PROBE_TIMEOUT_S = 60.0
SERVICE = "OPS-COCKPIT"  # the first word of a Nagios plugin's status line
NAGIOS_STATUS = {
    Severity.OK: "OK",
    Severity.WARN: "WARNING",
    Severity.CRIT: "CRITICAL",
    Severity.UNKNOWN: "UNKNOWN",
}
SUMMARY_PROBLEMS = 3  # problems named on the status line; the table lists every one
# Perfdata units (UOM) of the findings' values, by check: only Nagios's own units (s, ms, %,
# MB...); a value in hours, days or a count is given without one.
PERFDATA_UOM = {
    "http.status": "ms",  # its value is the request's latency
    "http.latency_p95": "ms",
    "http.error_rate": "%",
    "postgres.connections": "%",
    "postgres.oldest_transaction": "s",
    "postgres.idle_in_transaction": "s",
    "postgres.cache_hit": "%",
    "postgres.mean_statement": "ms",
    "postgres.wraparound": "%",
    "postgres.slot": "MB",
    "bloat.table": "%",
    "bloat.index": "%",
    "bloat.dead_tuples": "%",
    "bloat.freeze_age": "%",
    "queries.slow_statement": "ms",
    "queries.idle_in_transaction": "s",
    "queries.long_transaction": "s",
}


@dataclass(frozen=True, slots=True)
class CheckReport:
    snapshots: Sequence[Snapshot]
    problems_only: bool = False  # ``--problems``: list only the findings that are not ok

    @property
    def all_findings(self) -> list[tuple[str, Finding]]:
        return [(s.pane, f) for s in self.snapshots for f in s.findings]

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        """The findings listed: every one, or the problems only."""
        every = self.all_findings
        return [(p, f) for p, f in every if f.severity is not Severity.OK] if self.problems_only else every

    @property
    def status(self) -> Severity:
        return Severity.worst(f.severity for _, f in self.all_findings)

    def as_json(self) -> str:
        body = {
            "status": self.status.label,
            "findings": [f.as_json(pane) for pane, f in self.findings],
        }
        return redact(json.dumps(body, default=str))

    def status_line(self) -> str:
        """Nagios's first line: ``OPS-COCKPIT CRITICAL - summary | perfdata``."""
        perfdata = " ".join(perfdata_of(f) for _, f in self.all_findings if _numeric(f.value))
        line = f"{SERVICE} {NAGIOS_STATUS[self.status]} - {self.summary()}"
        return redact(f"{line} | {perfdata}" if perfdata else line)

    def summary(self) -> str:
        every = [f for _, f in self.all_findings]
        if not every:
            return "no probes configured for these panes"
        problems = sorted((f for f in every if f.severity is not Severity.OK), key=lambda f: -f.severity.rank)
        if not problems:
            return f"{len(every)} checks ok"
        counts = ", ".join(
            f"{n} {NAGIOS_STATUS[s].lower()}"
            for s in (Severity.CRIT, Severity.UNKNOWN, Severity.WARN)
            if (n := sum(f.severity is s for f in problems))
        )
        # One database down fails every pane's probe with the same line: named once.
        distinct = list(dict.fromkeys(f"{f.subject}: {f.message}" for f in problems))
        named = "; ".join(distinct[:SUMMARY_PROBLEMS])
        more = f"; {len(distinct) - SUMMARY_PROBLEMS} more" if len(distinct) > SUMMARY_PROBLEMS else ""
        return _no_pipe(f"{counts} of {len(every)} checks: {named}{more}")

    def as_table(self) -> str:
        """The status line, then the table (the plugin's long text)."""
        rows = [("PANE", "CHECK", "SUBJECT", "SEVERITY", "MESSAGE")]
        rows += [(p, f.check, f.subject, f.severity.label.upper(), f.message) for p, f in self.findings]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            _no_pipe("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
            for r in rows
        ]
        if len(rows) == 1:
            lines.append("(no problems)" if self.all_findings else "(no probes configured for these panes)")
        return redact("\n".join([self.status_line(), *lines]))


def perfdata_of(finding: Finding) -> str:
    """One finding's value as Nagios perfdata: ``'subject check'=value[UOM];warn;crit``."""
    label = f"{finding.subject} {finding.check}".replace("'", "_").replace("=", "_")
    thresholds = ";".join("" if t is None else _number(t) for t in (finding.warn, finding.crit))
    return f"'{_no_pipe(label)}'={_number(finding.value)}{PERFDATA_UOM.get(finding.check, '')};{thresholds}"


def _number(value: float) -> str:
    """Plain decimal, never an exponent (Nagios's grammar has none): 1501.86, 2000, 0.5."""
    return str(value) if isinstance(value, int) else f"{value:.6f}".rstrip("0").rstrip(".")


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _no_pipe(text: str) -> str:
    """Nagios reads everything after a ``|`` as perfdata: a message's pipe (a query's ``||``)
    becomes a broken bar."""
    return text.replace("|", "\u00a6")


def parse_panes(text: str | None) -> list[str]:
    if not text:
        return list(PANES)
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PANES]
    if unknown:
        raise UsageError(f"unknown pane {', '.join(unknown)}: choose from {', '.join(PANES)}")
    return chosen


async def _guarded(pane: str, probe: Probe, context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    name = getattr(probe, "__name__", "probe")
    try:
        return await asyncio.wait_for(probe(context), PROBE_TIMEOUT_S)
    except TimeoutError:
        message = f"probe {name} gave no answer within {PROBE_TIMEOUT_S:.0f}s"
    except Exception as exc:  # a probe bug must not hide the other findings
        message = f"probe {name} failed: {type(exc).__name__}: {exc}"
    finding = Finding(f"{pane}.{name}", context.target_name, Severity.UNKNOWN, redact(message))
    return Snapshot(pane=pane, findings=[finding], duration=time.monotonic() - started, error=finding.message)


async def run_checks(
    context: ProbeContext, panes: Sequence[str], *, problems_only: bool = False
) -> CheckReport:
    """Run the panes' probes concurrently, their libraries imported first (not while a health
    request is being timed)."""
    for module in dict.fromkeys(m for pane in panes for m in PANE_LIBRARIES[pane]):
        importlib.import_module(module)
    jobs = [_guarded(pane, probe, context) for pane in panes for probe in PANE_PROBES[pane]]
    return CheckReport(snapshots=await asyncio.gather(*jobs), problems_only=problems_only)


def run_command(args: argparse.Namespace) -> int:
    """`cockpit check` as cli.py parsed it: the report printed, the worst status the exit code."""
    from cockpit.config import load_config
    from cockpit.db.sessions import SessionPolicy
    from cockpit.state import StateStore

    try:
        panes = parse_panes(args.pane)
        config = load_config(args.config)
        name, target = config.target(args.target)
    except UsageError as exc:  # the check could not run: UNKNOWN for Nagios, not CRITICAL
        raise MonitorUsageError(str(exc), "cockpit check") from None
    # A check only ever reads its targets: its sessions are read-only whatever the target says.
    # It records health samples in the local state store, so cron'd runs build a history.
    store = StateStore()
    context = ProbeContext(
        target_name=name,
        target=target,
        thresholds=config.thresholds_for(target),
        settings=config.settings,
        policy=SessionPolicy.from_settings(config.settings, read_only=True),
        store=store,
    )
    try:
        report = asyncio.run(run_checks(context, panes, problems_only=args.problems))
    finally:
        store.close()
    print(report.as_json() if args.json else report.as_table())
    return report.status.exit_code
