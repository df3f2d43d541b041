"""A checklist run: its state folded from the journal's events, and the operator's moves.

``RunState`` is derived, never stored: every screen (the holder's and the observers') replays the
journal's events into it, so what anyone sees is exactly what was committed. ``RunOperator`` is
the holder's side: each move (done, skip with a reason, fail, note, a check, an action) is
appended to the journal first; checks and actions run in the caller's worker, actions through
the target's guard (confirmation, read-only, protected, window) and audit like the panes' keys,
checks audited too. A run's checks, actions and commands go to the run's own target: a cockpit
on another target refuses them (audited), and a command runs exactly as shown and confirmed.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from cockpit.checklists.actions import ActionEnv, build_action
from cockpit.checklists.checks import CheckOutcome, evaluate
from cockpit.checklists.format import (
    ActionStep,
    Checklist,
    CheckStep,
    CommandStep,
    ManualStep,
    Section,
    Step,
    fill,
    recorded,
)
from cockpit.checklists.journal import Event, EventKind, Journal, RunInfo, RunStatus
from cockpit.checklists.params import applies, instantiate, resolve
from cockpit.config import MaintenanceWindow, Target
from cockpit.errors import ActionCancelled, ActionRefused, CockpitError
from cockpit.guard import ActionRequest, CancelToken, Confirmation, Guard, ProgressUpdate
from cockpit.probes import ProbeContext
from cockpit.units import parse_duration
from cockpit.windows import WindowState, window_state


class StepStatus(StrEnum):
    """Where a step of a run is, as folded from the journal's events."""

    PENDING = "pending"  # not begun, or an attempt that did not pass: retry, skip or fail it
    RUNNING = "running"  # its check, action or command is under way
    DONE = "done"
    SKIPPED = "skipped"  # with a reason (or its ``when`` does not hold for this run)
    FAILED = "failed"


RESOLVED = frozenset({StepStatus.DONE, StepStatus.SKIPPED, StepStatus.FAILED})
_RESOLVING = {
    EventKind.STEP_DONE: StepStatus.DONE,
    EventKind.STEP_SKIPPED: StepStatus.SKIPPED,
    EventKind.STEP_FAILED: StepStatus.FAILED,
}


@dataclass
class StepState:
    section: Section
    step: Step
    status: StepStatus = StepStatus.PENDING
    reason: str = ""
    operator: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (at, operator, text)
    results: list[tuple[str, bool, str]] = field(default_factory=list)  # (at, ok, message)
    applies: bool = True  # False: its ``when`` does not hold for this run (another severity's)
    rounds: int = 0  # how many times it was done (a ``repeat`` step is done again and again)

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED

    def again_at(self) -> datetime | None:
        """When a ``repeat`` step that was done comes back (None: not one, or not done yet)."""
        if self.step.repeat is None or self.status is not StepStatus.DONE or self.ended_at is None:
            return None
        return datetime.fromisoformat(self.ended_at) + parse_duration(self.step.repeat)


@dataclass
class RunState:
    info: RunInfo
    checklist: Checklist
    steps: dict[str, StepState]
    holder: str
    last_seq: int = 0
    status: RunStatus = RunStatus.RUNNING
    end_reason: str = ""  # why it was abandoned
    events: list[Event] = field(default_factory=list)

    @classmethod
    def of(cls, info: RunInfo) -> RunState:
        checklist = recorded(info.definition)
        steps = {step.id: StepState(section, step) for section, step in checklist.steps}
        return cls(info, checklist, steps, holder=info.started_by)

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.info.started_at)

    @property
    def applicable(self) -> list[StepState]:
        """The steps of this run: another severity's steps are not shown and do not count."""
        return [s for s in self.steps.values() if s.applies]

    @property
    def current(self) -> StepState | None:
        return next((s for s in self.applicable if not s.resolved), None)

    def elapsed(self, now: datetime) -> timedelta:
        """Since the run started; a finished run's is its length."""
        end = datetime.fromisoformat(self.info.finished_at) if self.info.finished_at else now
        for event in self.events:
            if event.kind is EventKind.RUN_FINISHED:
                end = datetime.fromisoformat(event.at)
        return end - self.started

    @property
    def finished(self) -> bool:
        return self.status is not RunStatus.RUNNING

    def deadline(self, state: StepState) -> datetime | None:
        seconds = state.step.deadline_s
        return self.started + timedelta(seconds=seconds) if seconds is not None else None

    def deadline_met(self, state: StepState, now: datetime) -> bool | None:
        """True/False once the step is resolved (or the deadline passed); None while open and in time."""
        due = self.deadline(state)
        if due is None:
            return None
        if state.ended_at is not None and state.status is StepStatus.DONE:
            return datetime.fromisoformat(state.ended_at) <= due
        return False if now > due else None

    def apply(self, event: Event) -> None:
        self.events.append(event)
        self.last_seq = event.seq
        state = self.steps.get(event.step or "")
        detail = event.detail
        if event.kind is EventKind.TAKEOVER:
            self.holder = event.operator
        elif event.kind is EventKind.RUN_FINISHED:
            self.status = RunStatus(detail.get("status", RunStatus.DONE))
            self.end_reason = str(detail.get("reason") or "")
        elif state is None:
            return
        elif event.kind in (EventKind.ACTION_STARTED, EventKind.CHECK_STARTED):
            state.status, state.started_at, state.operator = (
                StepStatus.RUNNING,
                state.started_at or event.at,
                event.operator,
            )
        elif event.kind in _RESOLVING:
            state.status = _RESOLVING[event.kind]
            state.reason = str(detail.get("reason") or detail.get("note") or "")
            state.operator, state.ended_at = event.operator, event.at
            state.applies = state.applies and not detail.get("not_applicable")
            state.rounds += event.kind is EventKind.STEP_DONE
        elif event.kind is EventKind.NOTE:
            state.notes.append((event.at, event.operator, str(detail.get("text", ""))))
        elif event.kind in (EventKind.CHECK_RESULT, EventKind.ACTION_RESULT, EventKind.COMMAND_RESULT):
            state.results.append((event.at, bool(detail.get("ok")), str(detail.get("message", ""))))
            failed = not detail.get("ok") and not detail.get("waiting")
            if state.status is StepStatus.RUNNING and failed:
                state.status = StepStatus.PENDING  # a failed attempt: retry, skip or fail it


def load_run(journal: Journal, run_id: str) -> RunState:
    state = RunState.of(journal.run(run_id))
    for event in journal.events(run_id):
        state.apply(event)
    return state


def refresh(journal: Journal, state: RunState) -> bool:
    """Apply the events committed since ``state`` was read; whether there were any."""
    events = journal.events(state.info.id, after=state.last_seq)
    for event in events:
        state.apply(event)
    return bool(events)


def start_run(
    journal: Journal,
    checklist: Checklist,
    *,
    target: str,
    operator: str,
    params: dict[str, str],
    target_config: Target | None = None,
) -> str:
    """Record the run of the concrete checklist (parameters filled, ``each`` steps expanded: see
    checklist_params), then mark every step whose ``when`` does not hold as not applicable:
    skipped with the reason, not shown, not counted."""
    params.update(resolve(checklist, params))
    concrete = instantiate(checklist, params, target_config)
    run_id = journal.start_run(
        checklist_id=concrete.id, title=concrete.title, target=target,
        definition=msgspec.to_builtins(concrete), params=params, operator=operator,
    )  # fmt: skip
    for _, step in concrete.steps:
        if step.when is not None and not applies(step, params):
            given, among = params.get(step.when.param), "/".join(step.when.among)
            reason = f"condition: {step.when.param} is {given}, not {among}"
            detail = {"reason": reason, "not_applicable": True}
            journal.append(run_id, operator, EventKind.STEP_SKIPPED, step.id, detail)
    return run_id


class RunOperator:
    """The holder's moves on one run. Blocking: call from a worker thread."""

    def __init__(
        self,
        journal: Journal,
        run_id: str,
        operator: str,
        *,
        guard: Guard,
        probe_context: ProbeContext,
        windows: list[MaintenanceWindow] | None = None,
        allow_commands: bool = False,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.operator = operator
        self.guard = guard
        self.probe_context = probe_context
        self.windows = windows or []
        self.allow_commands = allow_commands
        # Taking over and commands are not changes to the target: no window needed, still audited.
        self._anytime = guard.variant(protected=False, require_window=False)
        self._info: RunInfo | None = None

    @property
    def info(self) -> RunInfo:
        """The run's record (its target, its parameters), read from the journal once."""
        if self._info is None:
            self._info = self.journal.run(self.run_id)
        return self._info

    def _refuse_elsewhere(self, request: ActionRequest) -> None:
        """A run's checks, actions and commands go to the run's own target and nowhere else: a run
        of staging opened in a cockpit on prod is refused (and audited) there, never run on prod."""
        target = self.info.target
        here = next((t for t in (self.guard.target, self.probe_context.target_name) if t != target), None)
        if here is None:
            return
        reason = (
            f"run {self.run_id} is on target {target}, this cockpit is on {here}: its checks, actions "
            f"and commands run only on {target} (cockpit --target {target})"
        )
        # Not a change (nothing runs): refused for this reason, not for an unarmed target.
        with self._anytime.begin(replace(request, mutating=False), Confirmation(confirmed=True)):
            raise ActionRefused(reason)

    def _append(self, kind: EventKind, step: str | None = None, **detail: Any) -> Event:
        if self.guard.observer:  # ticking a run changes no target: armed or not, operators may
            raise ActionRefused(f"read-only mode: {kind} on checklist run {self.run_id} is refused")
        return self.journal.append(self.run_id, self.operator, kind, step, detail)

    def done(self, step: Step, note: str = "") -> None:
        if isinstance(step, ManualStep) and step.note_required and not note.strip():
            raise CockpitError(f"step {step.id!r} needs a note: {step.evidence or 'say what was done'}")
        self._append(EventKind.STEP_DONE, step.id, note=note.strip())

    def skip(self, step: Step, reason: str) -> None:
        if not reason.strip():
            raise CockpitError("a skip needs a reason")
        self._append(EventKind.STEP_SKIPPED, step.id, reason=reason.strip())

    def fail(self, step: Step, reason: str) -> None:
        self._append(
            EventKind.STEP_FAILED, step.id, reason=reason.strip() or "failed", rollback=step.rollback
        )

    def note(self, step: Step | None, text: str) -> None:
        if text.strip():
            self._append(EventKind.NOTE, step.id if step else None, text=text.strip())

    def take_over(self) -> None:
        """Become the holder; audited. A journal matter, not a change to the target: an operator
        may take over on a protected target that is not armed; an observer never."""
        if self.guard.observer:
            raise ActionRefused(f"read-only mode: taking over checklist run {self.run_id} is refused")
        request = ActionRequest(
            "checklist.take_over", f"Take over checklist run {self.run_id}", {"run": self.run_id},
            mutating=False,
        )  # fmt: skip
        with self._anytime.begin(request, Confirmation(confirmed=True)) as context:
            event = self.journal.take_over(self.run_id, self.operator)
            context.result_detail = f"taken over from {event.detail.get('from')}"

    def abandon(self, reason: str) -> None:
        """End the run unfinished, with the reason (in the journal, the report and the audit).
        Like taking over, a journal matter: no target changes, no window or arming needed."""
        from cockpit.guard import ActionRequest

        if not reason.strip():
            raise CockpitError("abandoning a run needs a reason: it goes in the report")
        if self.guard.observer:
            raise ActionRefused(f"read-only mode: abandoning checklist run {self.run_id} is refused")
        request = ActionRequest(
            "checklist.abandon", f"Abandon checklist run {self.run_id}",
            {"run": self.run_id, "reason": reason.strip()}, mutating=False,
        )  # fmt: skip
        with self._anytime.begin(request, Confirmation(confirmed=True)) as context:
            self.journal.finish(self.run_id, self.operator, RunStatus.ABANDONED, {"reason": reason.strip()})
            context.result_detail = f"abandoned: {reason.strip()}"

    def finish(self, state: RunState) -> RunStatus:
        open_steps = [s.step.id for s in state.applicable if not s.resolved]
        if open_steps:
            raise CockpitError(
                f"{len(open_steps)} step(s) still open ({', '.join(open_steps[:3])}): resolve them first"
            )
        failed = any(s.status is StepStatus.FAILED for s in state.steps.values())
        status = RunStatus.FAILED if failed else RunStatus.DONE
        self.journal.finish(self.run_id, self.operator, status)
        return status

    # -- checks, actions and commands (in a worker) ---------------------------------------------

    def check(self, step: CheckStep, cancel: CancelToken | None = None) -> CheckOutcome:
        """Evaluate the check (every ``interval`` until it holds or ``timeout`` when it waits);
        each result is journaled; a pass completes the step. Audited (``checklist.check``, with
        its SQL or finding); SQL that is not a check's is refused, audited and journaled."""
        about = {"sql": step.sql} if step.sql else {"finding": step.finding, "subject": step.subject}
        request = ActionRequest(
            "checklist.check", f"Check: {step.title}",
            {"run": self.run_id, "step": step.id, "database": step.database, **about}, mutating=False,
        )  # fmt: skip
        self._refuse_elsewhere(request)
        self._append(EventKind.CHECK_STARTED, step.id)
        with self._anytime.begin(request, Confirmation(confirmed=True)) as context:
            outcome = self._check_until(step, cancel or CancelToken())
            context.result_detail = f"{'passed' if outcome.ok else 'not passed'}: {outcome.message}"
        return outcome

    def _check_until(self, step: CheckStep, cancel: CancelToken) -> CheckOutcome:
        deadline = time.monotonic() + parse_duration(step.timeout).total_seconds()
        interval = parse_duration(step.interval).total_seconds()
        while True:
            try:
                outcome = asyncio.run(evaluate(step, self.probe_context))
            except ActionRefused as exc:
                self._append(EventKind.CHECK_RESULT, step.id, ok=False, message=f"refused: {exc}")
                raise
            waiting = step.wait and not outcome.ok and time.monotonic() + interval < deadline
            self._append(
                EventKind.CHECK_RESULT, step.id, ok=outcome.ok, message=outcome.message, value=outcome.value,
                waiting=waiting,
            )  # fmt: skip
            if outcome.ok:
                self._append(EventKind.STEP_DONE, step.id, note=f"check passed: {outcome.message}")
                return outcome
            if not waiting:
                return outcome
            end = time.monotonic() + interval
            while time.monotonic() < end:
                if cancel.cancelled:
                    self._append(EventKind.CHECK_RESULT, step.id, ok=False, message="waiting cancelled")
                    return CheckOutcome(False, "waiting cancelled")
                time.sleep(0.2)

    def prepare_action(self, step: ActionStep, env: ActionEnv) -> Any:
        """The step's action as the pane would build it (a StepAction); may read the database.
        Refused on any target but the run's own."""
        about = {"run": self.run_id, "step": step.id, **step.params}
        summary = f"{step.action} from checklist run {self.run_id}"
        self._refuse_elsewhere(ActionRequest(f"checklist.action.{step.action}", summary, about))
        return build_action(step.action, env, dict(step.params))

    def window(self) -> WindowState:
        return window_state(self.windows, self.journal.now())

    def run_action(
        self,
        step: ActionStep,
        prepared: Any,
        confirmation: Confirmation,
        *,
        cancel: CancelToken | None = None,
        on_progress: Callable[[ProgressUpdate], None] | None = None,
    ) -> str:
        """Run the prepared action under the guard (a window-only step needs an open window), on
        the run's own target only."""
        self._refuse_elsewhere(prepared.request)
        guard = self.guard
        if step.window_only:  # the refusal names this rule, not the target
            guard = guard.variant(
                require_window=True, windows=self.window, window_rule=f"step {step.id!r} is window_only"
            )
        self._append(
            EventKind.ACTION_STARTED,
            step.id,
            action=prepared.request.action,
            summary=prepared.request.summary,
        )
        try:
            with guard.begin(
                prepared.request, confirmation, cancel=cancel, on_progress=on_progress
            ) as context:
                result = prepared.run(context)
                detail = context.result_detail or "done"
        except ActionCancelled as exc:
            self._append(EventKind.ACTION_RESULT, step.id, ok=False, message=f"cancelled: {exc}")
            raise
        except CockpitError as exc:
            self._append(EventKind.ACTION_RESULT, step.id, ok=False, message=str(exc))
            raise
        measured = {k: getattr(result, k) for k in ("rto_s", "rpo_s") if hasattr(result, k)}  # a restore
        self._append(EventKind.ACTION_RESULT, step.id, ok=True, message=detail, **measured)
        self._append(EventKind.STEP_DONE, step.id, note=detail)
        return detail

    def command_line(self, step: CommandStep) -> str:
        """The command exactly as the screen shows it and the operator confirms it."""
        return command_line(step, self.info.params)

    def run_command(self, step: CommandStep, confirmed: str, timeout_s: float = 600) -> str:
        """Run ``confirmed``, which must be the step's command exactly as shown (``command_line``),
        only where ``settings.checklist_commands`` allows it; otherwise the command is for copying."""
        command = self.command_line(step)
        request = ActionRequest(
            "checklist.command", f"Run: {command}", {"run": self.run_id, "step": step.id, "command": command}
        )
        self._refuse_elsewhere(request)
        if not self.allow_commands:
            raise CockpitError(
                "commands are shown for copying: set settings.checklist_commands = true to run them"
            )
        with self._anytime.begin(request, Confirmation(confirmed=True)) as context:
            if confirmed != command:
                shown = f"step {step.id}'s is {command!r}"
                raise ActionRefused(f"the command confirmed is not the step's ({shown}): nothing ran")
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                stdin=subprocess.DEVNULL,  # never the terminal's: the cockpit's keys are not its input
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
            output = (done.stdout + done.stderr).strip()[-2000:]
            context.result_detail = f"exit {done.returncode}"
        ok = done.returncode == 0
        self._append(
            EventKind.COMMAND_RESULT, step.id, ok=ok, message=f"exit {done.returncode}", output=output
        )
        if ok:
            self._append(EventKind.STEP_DONE, step.id, note="command exited 0")
        return output


def command_line(step: CommandStep, params: dict[str, str]) -> str:
    """A command step's command with the run's parameters filled in: what is shown is what runs."""
    return fill(step.command, params)
