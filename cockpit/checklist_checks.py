"""A checklist's check step, evaluated live: a finding of the panes' probes, or one SQL value.

``finding = "backup.age"`` runs the probes of the pane that makes that finding (the same ones
``cockpit check`` runs) and passes when every matching finding (of ``subject``, when given) is at
most ``max_severity`` and, with ``max_value``, its value is at most that. ``sql`` reads one value
on a read-only session (the runbooks' SQL: "no transaction older than 5 minutes") and compares it
with ``max_value`` / ``min_value``. A check that cannot run (unreachable database, a finding no
probe makes) fails with the reason, which is what the operator must see.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cockpit.checklist_format import Step
from cockpit.config import Database
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity
from cockpit.probes import ProbeContext
from cockpit.probes.registry import PANES

# Which pane's probes make the findings of each prefix (``backup.age`` comes from backups).
FINDING_PANES = {
    "backup": "backups",
    "bloat": "bloat",
    "cert": "secrets",
    "secret": "secrets",
    "cloud_key": "secrets",
    "http": "health",
    "postgres": "health",
    "queries": "queries",
}


def known_findings() -> frozenset[str]:
    """What a check's ``finding`` may name: a finding some probe makes, or a pane with probes."""
    from cockpit.probes.finding_names import finding_names
    from cockpit.probes.registry import PANE_PROBES

    return finding_names() | {pane for pane, probes in PANE_PROBES.items() if probes}


_SEVERITY = {"ok": Severity.OK, "warn": Severity.WARN, "crit": Severity.CRIT}


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    ok: bool
    message: str
    value: float | None = None


async def evaluate(step: Step, context: ProbeContext) -> CheckOutcome:
    try:
        if step.sql is not None:
            return await _sql(step, context)
        return await _finding(step, context)
    except CockpitError as exc:
        return CheckOutcome(False, str(exc))


async def _finding(step: Step, context: ProbeContext) -> CheckOutcome:
    """Every matching finding at most ``max_severity``. ``finding`` names one finding or a whole
    pane ("health": everything its probes say). A finding made only for a problem (a blocker, a
    bloated table) is absent when there is none: with ``pass_if_absent`` that passes, provided
    the pane's probes did read the target (an unreachable database is no proof of health)."""
    from cockpit.check import run_checks

    assert step.finding is not None
    whole_pane = step.finding in PANES
    pane = step.finding if whole_pane else FINDING_PANES.get(step.finding.split(".")[0])
    report = await run_checks(context, [pane] if pane else list(PANES))
    everything = [f for _, f in report.findings]
    found = [
        f for f in everything if (whole_pane or f.check == step.finding) and step.subject in (None, f.subject)
    ]
    about = f" about {step.subject}" if step.subject else ""
    if not found:
        unread = [f for f in everything if f.severity is Severity.UNKNOWN or _unreachable(f)]
        if step.pass_if_absent and everything and not unread:
            return CheckOutcome(True, f"no {step.finding} finding{about}: none past its threshold")
        if unread:
            first = unread[0]
            return CheckOutcome(False, f"{first.subject}: {first.severity.label}: {first.message}")
        return CheckOutcome(False, f"no {step.finding} finding{about}: is it configured on this target?")
    limit = _SEVERITY[step.max_severity]
    bad = [f for f in found if f.severity.rank > limit.rank]
    if step.max_value is not None:
        bad += [f for f in found if f not in bad and f.value is not None and float(f.value) > step.max_value]
    if whole_pane and not bad:
        return CheckOutcome(True, f"{step.finding}: {len(found)} findings, none worse than {limit.label}")
    shown = bad[0] if bad else found[0]
    value = float(shown.value) if isinstance(shown.value, int | float) else None
    text = f"{shown.subject}: {shown.severity.label}: {shown.message}"
    return CheckOutcome(not bad, text + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""), value)


def _unreachable(finding: Finding) -> bool:
    return finding.check.endswith(".reachable") and finding.severity is not Severity.OK


async def _sql(step: Step, context: ProbeContext) -> CheckOutcome:
    from cockpit.db import NoAnswer, answered, connect_async

    database = _database(step, context)
    policy = replace(context.policy, read_only=True)  # a check never writes, whatever the caller

    async def fetch() -> Any:
        conn = await connect_async(database, policy)
        async with conn:
            return await (await conn.execute(str(step.sql).encode())).fetchone()

    try:
        row = await answered(fetch(), database, policy.answer_deadline_s)
    except NoAnswer as exc:
        return CheckOutcome(False, str(exc))
    except CockpitError:
        raise  # could not connect: the caller's one line
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CheckOutcome(False, f"the check's SQL failed: {first}")
    raw: Any = row[0] if row else None
    if raw is None:
        return CheckOutcome(False, "the check's SQL returned no value")
    value = float(raw)
    limits = []
    if step.max_value is not None:
        limits.append((value <= step.max_value, f"at most {step.max_value:g}"))
    if step.min_value is not None:
        limits.append((value >= step.min_value, f"at least {step.min_value:g}"))
    ok = all(passed for passed, _ in limits)
    wanted = " and ".join(text for _, text in limits)
    return CheckOutcome(ok, f"value {value:g} ({'ok' if ok else 'wanted'}: {wanted})", value)


def _database(step: Step, context: ProbeContext) -> Database:
    from cockpit.checklist_actions import pick

    return pick(context.target.databases, step.database, "database")
