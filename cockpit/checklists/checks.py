"""A checklist's check step, evaluated live: a finding of the panes' probes, or one SQL value.

``finding = "backup.age"`` runs the probes of the pane that makes that finding (the same ones
``cockpit check`` runs) and passes when every matching finding (of ``subject``, when given) is at
most ``max_severity`` and, with ``max_value``, its value is at most that. ``sql`` reads one number
(the runbooks' SQL: "no transaction older than 5 minutes") and compares it with ``max_value`` /
``min_value``: one read statement (checklist_sql refuses anything else, before it is sent) in a
read-only transaction that is always rolled back (``read_value``). A check that cannot run
(unreachable database, a finding no probe makes, text where a number was wanted) fails with the
reason, which is what the operator must see.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cockpit.checklists.check_sql import as_query, refusal
from cockpit.checklists.format import CheckStep
from cockpit.config import Database
from cockpit.errors import ActionRefused, CockpitError
from cockpit.model import Finding, Severity
from cockpit.pane_probes import PANES
from cockpit.probes import ProbeContext

if TYPE_CHECKING:
    from cockpit.db.sessions import SessionPolicy

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
    from cockpit.pane_probes import PANE_PROBES
    from cockpit.probes.finding_names import finding_names

    return finding_names() | {pane for pane, probes in PANE_PROBES.items() if probes}


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    ok: bool
    message: str
    value: float | None = None


async def evaluate(step: CheckStep, context: ProbeContext) -> CheckOutcome:
    """The check's outcome; an ActionRefused when its SQL is not a check's (checklist_sql)."""
    try:
        if step.sql is not None:
            return await _sql(step, context)
        return await _finding(step, context)
    except ActionRefused:
        raise  # the caller audits and journals the refusal
    except CockpitError as exc:
        return CheckOutcome(False, str(exc))
    except Exception as exc:  # a check that breaks is a failed check, said in one line, never a hung step
        return CheckOutcome(False, f"the check could not run: {_first_line(exc)}")


def sql_refusal(step: CheckStep) -> str | None:
    """Why this step's SQL may not run as a check (one line naming the step), or None."""
    if step.sql is None:
        return None
    reason = refusal(step.sql)
    return f"step {step.id!r}, key 'sql': {reason}" if reason else None


async def _finding(step: CheckStep, context: ProbeContext) -> CheckOutcome:
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
    limit = step.worst_passing
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


async def _sql(step: CheckStep, context: ProbeContext) -> CheckOutcome:
    from cockpit.db.sessions import NoAnswer, answered

    assert step.sql is not None
    reason = sql_refusal(step)
    if reason is not None:  # validated or not (a run's definition comes from the journal): never sent
        raise ActionRefused(reason)
    database = _database(step, context)
    try:
        row = await answered(
            read_value(database, context.policy, step.sql), database, context.policy.answer_deadline_s
        )
    except NoAnswer as exc:
        return CheckOutcome(False, str(exc))
    except CockpitError:
        raise  # could not connect: the caller's one line
    except Exception as exc:
        return CheckOutcome(False, f"the check's SQL failed: {_first_line(exc)}")
    raw: Any = row[0] if row else None
    if raw is None:
        return CheckOutcome(False, "the check's SQL returned no value")
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        shown = str(raw)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return CheckOutcome(
            False,
            f"the check's SQL returned {type(raw).__name__} {shown!r}, not a number: make it return one "
            "(count(*), extract(epoch FROM ...), ...::int)",
        )
    value = float(raw)
    limits = []
    if step.max_value is not None:
        limits.append((value <= step.max_value, f"at most {step.max_value:g}"))
    if step.min_value is not None:
        limits.append((value >= step.min_value, f"at least {step.min_value:g}"))
    ok = all(passed for passed, _ in limits)
    wanted = " and ".join(text for _, text in limits)
    return CheckOutcome(ok, f"value {value:g} ({'ok' if ok else 'wanted'}: {wanted})", value)


async def read_value(database: Database, policy: SessionPolicy, sql: str) -> Any:
    """The first row of ``sql``, read so that the server itself refuses any change, whatever the text.

    Its own session, read-only by default (``default_transaction_read_only``), reading strings as
    checklist_sql did (``standard_conforming_strings``, SessionPolicy.options); a transaction begun
    READ ONLY whose first query runs before the check's (``transaction_read_only`` cannot be
    turned off after a transaction's first query); the check's text as a subquery (only a query
    parses there: no SET, COPY, DO, COMMIT, nor a data-modifying WITH), on the extended protocol
    (``prepare=True``: the server refuses more than one statement); always rolled back; the
    session closed. What a read-only query can still do (signal a backend, reload the
    configuration) is checklist_sql's to refuse before this is called.
    """
    from cockpit.db.sessions import connect_async

    policy = replace(policy, read_only=True)  # a check never writes, whatever the caller
    conn = await connect_async(database, policy)
    async with conn:
        await conn.set_read_only(True)
        async with conn.transaction(force_rollback=True):
            await conn.execute(b"SELECT 1")  # the first query: from here on read-only cannot be lifted
            # The check on lines of its own: a -- comment in it ends before the closing parenthesis.
            query = "\n".join(("SELECT * FROM (", as_query(sql), ") AS checked"))
            cursor = await conn.execute(query.encode(), prepare=True)
            return await cursor.fetchone()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _database(step: CheckStep, context: ProbeContext) -> Database:
    from cockpit.checklists.actions import pick

    return pick(context.target.databases, step.database, "database")
