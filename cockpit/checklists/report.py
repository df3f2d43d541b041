"""A run as Markdown, for a maintenance ticket or a post-mortem: the timeline with operators and
times, each step's outcome, notes, check and action results, deadlines met or missed, and for a
drill the RTO and RPO measured against the runbooks' objectives (< 4 h, < 1 h)."""

from __future__ import annotations

from datetime import datetime

from cockpit.checklists.format import fill
from cockpit.checklists.journal import EventKind, RunStatus
from cockpit.checklists.run import RunState, StepStatus
from cockpit.units import format_duration

RTO_OBJECTIVE_S = 4 * 3600
RPO_OBJECTIVE_S = 3600
_MARK = {
    StepStatus.DONE: "[x]",
    StepStatus.SKIPPED: "[-]",
    StepStatus.FAILED: "[!]",
    StepStatus.RUNNING: "[>]",
    StepStatus.PENDING: "[ ]",
}


def _time(at: str | None) -> str:
    return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "-"


def render_report(state: RunState, now: datetime) -> str:
    """The report as of ``now`` (an open step's deadline is missed once ``now`` is past it)."""
    info, params = state.info, state.info.params
    lines = [
        f"# {info.title}",
        "",
        f"- Run: `{info.id}` ({state.checklist.id}, {state.checklist.kind}) on target **{info.target}**",
        f"- Started: {_time(info.started_at)} by {info.started_by}",
        f"- Status: **{state.status}**"
        + (f", finished {_time(info.finished_at)}" if info.finished_at else ""),
        f"- Report written: {_time(now.isoformat())}",
    ]
    lines += _abandoned(state)
    if params:
        lines.append("- Parameters: " + ", ".join(f"{k} = {v}" for k, v in params.items()))
    missed = [s for s in state.steps.values() if state.deadline_met(s, now) is False]
    dated = [s for s in state.steps.values() if s.step.deadline]
    with_deadline = [s for s in dated if s.status is not StepStatus.SKIPPED]
    if with_deadline:
        lines.append(f"- Deadlines: {len(with_deadline) - len(missed)} of {len(with_deadline)} met")
    lines += ["", "## Steps", ""]
    section = None
    for step_state in state.steps.values():
        if step_state.section.name != section:
            section = step_state.section.name
            lines += ["", f"### {step_state.section.title or section}", ""]
        step = step_state.step
        line = f"- {_MARK[step_state.status]} **{fill(step.title, params)}** ({step_state.status}"
        if step_state.ended_at:
            line += f" {_time(step_state.ended_at)} by {step_state.operator}"
        if step_state.rounds > 1:
            line += f", done {step_state.rounds} times, every {step.repeat}"
        line += ")"
        due = state.deadline(step_state)
        if due is not None and step_state.status is not StepStatus.SKIPPED:
            met = state.deadline_met(step_state, now)
            verdict = {True: "met", False: "MISSED", None: "open"}[met]
            line += f", deadline {step.deadline} ({_time(due.isoformat())}): {verdict}"
        lines.append(line)
        if step_state.reason:
            said = "Note" if step_state.status is StepStatus.DONE else "Reason"
            lines.append(f"  - {said}: {step_state.reason}")
        for at, operator, text in step_state.notes:
            lines.append(f"  - Note ({_time(at)}, {operator}): {text}")
        for at, ok, message in step_state.results[-3:]:
            lines.append(f"  - {'Passed' if ok else 'Not passed'} ({_time(at)}): {message}")
        if step_state.status is StepStatus.FAILED and step.rollback:
            lines.append(f"  - Rollback: {step.rollback}")
    lines += _drill(state)
    lines += ["", "## Timeline", "", "| time | operator | event | step | detail |", "|---|---|---|---|---|"]
    for event in state.events:
        detail = event.detail.get("reason") or event.detail.get("message") or event.detail.get("note") or ""
        detail = (
            detail or event.detail.get("text") or event.detail.get("from") or event.detail.get("status") or ""
        )
        text = str(detail).replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| {_time(event.at)} | {event.operator} | {event.kind} | {event.step or ''} | {text} |")
    return "\n".join(lines) + "\n"


def _abandoned(state: RunState) -> list[str]:
    """Who abandoned the run, when, and why (the reason is required)."""
    if state.status is not RunStatus.ABANDONED:
        return []
    ended = next((e for e in reversed(state.events) if e.kind is EventKind.RUN_FINISHED), None)
    who = f" by {ended.operator} at {_time(ended.at)}" if ended else ""
    return [f"- Abandoned{who}: {state.end_reason or 'no reason recorded'}"]


def _drill(state: RunState) -> list[str]:
    """RTO and RPO from the verification an action step ran (the manifest's measured figures)."""
    if state.checklist.kind != "drill":
        return []
    measured = [e.detail for e in state.events if e.kind is EventKind.ACTION_RESULT and "rto_s" in e.detail]
    lines = ["", "## RTO and RPO", ""]
    if not measured:
        return [*lines, "No verified restore in this run: RTO and RPO not measured."]
    rto, rpo = float(measured[-1]["rto_s"]), float(measured[-1]["rpo_s"])
    return [
        *lines,
        f"- RTO measured (restore time): {rto:.1f} s, objective < 4 h: "
        + ("met" if rto < RTO_OBJECTIVE_S else "MISSED"),
        f"- RPO measured (backup age): {format_duration(rpo)}, objective < 1 h: "
        + ("met" if rpo < RPO_OBJECTIVE_S else "MISSED"),
    ]
