"""``cockpit check``: every configured probe once, headless, with Nagios exit codes.

Prints a table of findings (or one JSON object with ``--json``) and exits 0 ok, 1 warn, 2 crit,
3 unknown. A probe that raises becomes an UNKNOWN finding naming the probe: a monitor that
crashes tells you nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.errors import UsageError
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes import ProbeContext
from cockpit.probes.registry import PANE_PROBES, PANES, Probe
from cockpit.redact import redact

PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class CheckReport:
    snapshots: Sequence[Snapshot]

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [(s.pane, f) for s in self.snapshots for f in s.findings]

    @property
    def status(self) -> Severity:
        return Severity.worst(f.severity for _, f in self.findings)

    def as_json(self) -> str:
        body = {
            "status": self.status.label,
            "findings": [f.as_json(pane) for pane, f in self.findings],
        }
        return redact(json.dumps(body, default=str))

    def as_table(self) -> str:
        rows = [("PANE", "CHECK", "SUBJECT", "SEVERITY", "MESSAGE")]
        rows += [(p, f.check, f.subject, f.severity.label.upper(), f.message) for p, f in self.findings]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows
        ]
        if len(rows) == 1:
            lines.append("(no probes configured for these panes)")
        lines.append(f"status: {self.status.label.upper()}")
        return redact("\n".join(lines))


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


async def run_checks(context: ProbeContext, panes: Sequence[str]) -> CheckReport:
    """Run the panes' probes concurrently."""
    jobs = [_guarded(pane, probe, context) for pane in panes for probe in PANE_PROBES[pane]]
    return CheckReport(snapshots=await asyncio.gather(*jobs))
