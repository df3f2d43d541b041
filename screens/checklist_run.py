"""One checklist run: every step's state, the selected step's detail, deadlines, the window.

What it shows is folded from the journal (re-read every half second, so observers on another
terminal see the holder's moves within about a second). The title says the run's severity (a
choice parameter) and the time since it started; steps for another severity are not shown and
not counted; a recurring step (``repeat``) comes back with its countdown. The holder's keys
write to the journal first (done, skip with a reason, fail, note, run the step's
check/action/command, finish, abandon with a reason); an observer (read-only, or not the
holder) gets none of them, only `e` (export) and `T` (take over, for operators). Checks and
actions run in workers; actions through the app's confirmation, guard and progress bar.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.widgets import Label, Static

from cockpit.checklists.actions import ActionEnv
from cockpit.checklists.format import ActionStep, CheckStep, CommandStep, ManualStep, Step, fill
from cockpit.checklists.journal import Journal
from cockpit.checklists.report import render_report
from cockpit.checklists.run import (
    RunOperator,
    RunState,
    StepState,
    StepStatus,
    command_line,
    load_run,
    refresh,
)
from cockpit.errors import CockpitError
from cockpit.guard import Confirmation, ConfirmationKind
from cockpit.paths import state_dir
from cockpit.units import format_duration
from screens.confirm import ConfirmScreen
from screens.focus_screen import FocusScreen
from screens.pane_env import PaneEnv
from screens.prompt import PromptScreen
from widgets.checklist_tables import RunStepsTable
from widgets.footer import KeyBar
from widgets.keyed_table import Cell
from widgets.verbatim import verbatim

_MARK = {
    StepStatus.DONE: "✔",
    StepStatus.SKIPPED: "-",
    StepStatus.FAILED: "✘",
    StepStatus.RUNNING: "▶",
    StepStatus.PENDING: " ",
}
_STYLE = {
    StepStatus.DONE: "green",
    StepStatus.SKIPPED: "dim",
    StepStatus.FAILED: "bold red",
    StepStatus.RUNNING: "bold yellow",
    StepStatus.PENDING: "",
}
_WIDE = 120  # columns from which the detail stands beside the steps
HOLDER_KEYS = ("done", "skip", "fail", "note", "run_step", "finish", "abandon")


class ChecklistRunScreen(FocusScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("d", "done", "Done"),
        Binding("s", "skip", "Skip"),
        Binding("f", "fail", "Fail"),
        Binding("n", "note", "Note"),
        Binding("a", "run_step", "Run"),
        Binding("F", "finish", "Finish"),
        Binding("e", "export", "Export"),
        Binding("X", "abandon", "Abandon"),
        Binding("T", "take_over", "Take over"),
        Binding("N", "next_open", "Next open step", show=False),
    ]
    DEFAULT_CSS = """
    ChecklistRunScreen #run-title { height: 1; background: $boost; padding: 0 1; }
    ChecklistRunScreen #run-status { height: 1; padding: 0 1; color: $text-muted; }
    ChecklistRunScreen #run-status.-window-warning { color: $warning; text-style: bold; }
    ChecklistRunScreen #run-status.-window-critical { background: $error; color: $background; }
    ChecklistRunScreen #run-body { height: 1fr; }
    ChecklistRunScreen #run-steps { height: 1fr; }
    ChecklistRunScreen #run-detail { height: 6; border-top: solid $accent; padding: 0 1; }
    ChecklistRunScreen.-wide #run-body { layout: horizontal; }
    ChecklistRunScreen.-wide #run-steps { width: 3fr; }
    ChecklistRunScreen.-wide #run-detail {
        width: 2fr; height: 1fr; border-top: none; border-left: solid $accent;
    }
    """
    # From 120 columns the selected step's detail stands beside the steps, whole, instead of
    # six lines under them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (_WIDE, "-wide")]

    def __init__(self, env: PaneEnv, journal: Journal, run_id: str, operator: str) -> None:
        super().__init__()
        self.env = env
        self.journal = journal
        self.run_id = run_id
        self.me = operator
        self.state: RunState = load_run(journal, run_id)
        self.operator = RunOperator(
            journal, run_id, operator, guard=env.guard, probe_context=env.probe_context,
            windows=self._windows(), allow_commands=env.probe_context.settings.checklist_commands,
        )  # fmt: skip
        self._beats = 0
        self._refresh_lock = threading.Lock()

    def _windows(self) -> list[Any]:
        wanted = self.state.checklist.window  # "" (a window parameter left empty): any of them
        windows = self.env.probe_context.target.maintenance_windows
        return [w for w in windows if wanted in (None, "", w.name)]

    @property
    def holding(self) -> bool:
        return not self.env.observer and self.state.holder == self.me and not self.state.finished

    @property
    def elsewhere(self) -> bool:
        """The run is another target's: its checks, actions and commands are not offered here
        (RunOperator refuses them too); ticking steps and notes still are."""
        return self.state.info.target != self.env.probe_context.target_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(id="run-title")
            yield Label(id="run-status")
            with Container(id="run-body"):
                yield RunStepsTable(id="run-steps")
                yield Static(id="run-detail")
        # Compact, without the palette's key (ctrl+p still opens it): every key of a run, abandon
        # included, fits on one line at 80 columns.
        yield KeyBar(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(RunStepsTable)
        self._show()
        current = self.state.current
        if current is not None:
            table.move_cursor_to(self._ids().index(current.step.id))
        table.focus()
        if self.holding:
            self.journal.hold(self.run_id, self.me)
        self.set_interval(0.5, self._follow)

    def _ids(self) -> list[str]:
        """The rows' step ids, in order: the run's applicable steps."""
        return [s.step.id for s in self.state.applicable]

    # -- showing ---------------------------------------------------------------------------------

    def _cells(self, state: StepState, now: datetime) -> dict[str, Cell]:
        """A step's row: its mark, title (a checklist file's text, shown as it is), state, deadline."""
        deadline: Cell = ""
        due = self.state.deadline(state)
        if due is not None and state.status is not StepStatus.SKIPPED:
            met = self.state.deadline_met(state, now)
            left = due - now
            deadline = (
                Text("met", style="green") if met
                else Text("MISSED", style="bold red") if met is False
                else f"{format_duration(left)} left"
            )  # fmt: skip
        mark = Text(_MARK[state.status], style=_STYLE[state.status])
        status = Text(str(state.status), style=_STYLE[state.status])
        again = state.again_at()
        if again is not None and not self.state.finished:  # a recurring step: its countdown
            if now >= again:
                mark, status = Text("↻", style="bold yellow"), Text("due again", style="bold yellow")
                deadline = f"every {state.step.repeat}"
            else:
                mark, status = Text("↻", style="green"), Text(f"done x{state.rounds}", style="green")
                deadline = f"again in {format_duration(again - now)}"
        title = fill(state.step.title, self.state.info.params)
        return {"mark": mark, "step": title, "status": status, "deadline": deadline}

    def _show(self) -> None:
        state = self.state
        applicable = state.applicable
        done = sum(1 for s in applicable if s.resolved)
        now = self.journal.now()
        # A choice parameter (an incident's severity) and the time since the start, always in view.
        chosen = "".join(
            f"  {state.info.params[p.name]}" for p in state.checklist.params
            if p.choices and p.name in state.info.params
        )  # fmt: skip
        self.query_one("#run-title", Label).update(
            verbatim(f"{state.info.title}{chosen}  [{done}/{len(applicable)}]  run {state.info.id}")
        )
        elapsed = format_duration(state.elapsed(now))
        since = f"ran {elapsed}" if state.finished else f"started {elapsed} ago"
        who = "you hold this run" if state.holder == self.me else f"held by {state.holder}: following"
        if self.env.observer:
            who = f"READ-ONLY: following {state.holder}"
        if state.finished:  # nobody holds an ended run: say who ended it
            who = f"ended by {'you' if state.holder == self.me else state.holder}"
        status = self.query_one("#run-status", Label)
        window, urgency = "", ""
        if state.checklist.window is not None:
            window_state = self.operator.window()
            window = f"; {window_state.describe()}"
            warn_before = self.env.probe_context.settings.window_warning
            urgency = "" if state.finished else window_state.urgency(warn_before)
        ended = f" ({state.end_reason})" if state.end_reason else ""
        elsewhere = ""
        if self.elsewhere:  # first, so that 80 columns show it
            here = self.env.probe_context.target_name
            elsewhere = f"run of {state.info.target}, not {here}: no checks or actions here; "
        # Reasons, user names and target names are text, never markup.
        status.update(verbatim(f"{elsewhere}{since}; {state.status}{ended}; {who}{window}"))
        status.set_class(urgency == "warning", "-window-warning")
        status.set_class(urgency == "critical", "-window-critical")
        # Another severity's steps are not this run's: not shown.
        self.query_one(RunStepsTable).show({s.step.id: self._cells(s, now) for s in applicable})
        self._show_detail()
        self.refresh_bindings()

    def _selected(self) -> StepState | None:
        key = self.query_one(RunStepsTable).cursor_key
        return None if key is None else self.state.steps.get(key)

    @on(RunStepsTable.CursorMoved)
    def _show_detail(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        step, params = selected.step, self.state.info.params
        lines = [f"[{step.kind}] {fill(step.title, params)}"]
        if step.detail:
            lines.append(step.detail)
        lines += _what_it_does(step, params)
        if step.repeat:
            lines.append(f"recurring: every {step.repeat} (d when done again), done {selected.rounds} times")
        if selected.reason:
            lines.append(f"{selected.status}: {selected.reason}")
        lines += [f"note ({op}): {text}" for _, op, text in selected.notes[-2:]]
        lines += [f"{'pass' if ok else 'not yet'}: {message}" for _, ok, message in selected.results[-2:]]
        if step.rollback and selected.status is StepStatus.FAILED:
            lines.append(f"rollback: {step.rollback}")
        self.query_one("#run-detail", Static).update(verbatim("\n".join(lines)))  # notes, results

    def _follow(self) -> None:
        self._follow_worker()

    def _refresh(self) -> bool:
        """Apply the journal's new events (from a worker; one at a time, or events apply twice)."""
        with self._refresh_lock:
            return refresh(self.journal, self.state)

    @work(thread=True, exclusive=True, group="run-follow", exit_on_error=False)
    def _follow_worker(self) -> None:
        changed = self._refresh()
        self._beats += 1
        if self.holding:  # after a take-over too: the journal renews the lease while we live
            self.journal.hold(self.run_id, self.me)
        self.app.call_from_thread(self._show if changed or self._beats % 2 == 0 else lambda: None)

    # -- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Absent for observers and for whoever does not hold the run."""
        if action == "run_step":
            return self.holding and not self.elsewhere
        if action in HOLDER_KEYS:
            return self.holding
        if action == "take_over":
            return not self.env.observer and self.state.holder != self.me and not self.state.finished
        return True

    def _move(self, what: Any) -> None:
        selected = self._selected()
        self._move_worker(what, selected.step.id if selected else None)

    @work(thread=True, group="run-move", exit_on_error=False)
    def _move_worker(self, what: Any, step_id: str | None) -> None:
        try:
            what()
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        self._refresh()
        self.app.call_from_thread(self._show)
        self.app.call_from_thread(self._advance_from, step_id)

    def _advance_from(self, step_id: str | None) -> None:
        """Once the step the cursor was on is resolved, the cursor goes on to the next open one."""
        selected = self._selected()
        if selected is not None and selected.step.id == step_id and selected.resolved:
            self.action_next_open()

    def action_next_open(self) -> None:
        """The cursor to the next step still open (after the cursor, then from the top)."""
        ids = self._ids()
        selected = self._selected()
        start = ids.index(selected.step.id) + 1 if selected else 0
        for step_id in ids[start:] + ids[:start]:
            if not self.state.steps[step_id].resolved:
                self.query_one(RunStepsTable).move_cursor_to(ids.index(step_id))
                return

    def _ask(self, question: str, then: Any, *, required: bool = True) -> None:
        def answered(text: str | None) -> None:
            if text is not None:
                self._move(lambda: then(text))

        self.app.push_screen(PromptScreen(question, required=required), answered)

    def action_done(self) -> None:
        selected = self._selected()
        if selected is None or (selected.resolved and selected.again_at() is None):
            return  # a recurring step that was done may be done again (its next round)
        step = selected.step
        if isinstance(step, ManualStep) and step.note_required:
            self._ask(
                f"Note for '{step.title}' ({step.evidence or 'what was done'}):",
                lambda t: self.operator.done(step, t),
            )
        else:
            self._move(lambda: self.operator.done(step))

    def action_skip(self) -> None:
        selected = self._selected()
        if selected is not None and not selected.resolved:
            self._ask(f"Why skip '{selected.step.title}'?", lambda t: self.operator.skip(selected.step, t))

    def action_fail(self) -> None:
        selected = self._selected()
        if selected is not None and not selected.resolved:
            self._ask(
                f"What failed in '{selected.step.title}'?", lambda t: self.operator.fail(selected.step, t)
            )

    def action_note(self) -> None:
        selected = self._selected()
        self._ask("Note:", lambda t: self.operator.note(selected.step if selected else None, t))

    def action_run_step(self) -> None:
        selected = self._selected()
        if selected is None or selected.resolved:
            return
        match selected.step:
            case CheckStep() as check:
                self._move(lambda: self.operator.check(check))
            case CommandStep() as command:
                self._confirm_command(command)
            case ActionStep() as action:
                self._prepare(action)
            case ManualStep():
                self.notify("a manual step: d when done, s to skip, f if it failed")

    def _confirm_command(self, step: CommandStep) -> None:
        """The command exactly as the detail shows it, confirmed, and then that text is what runs."""
        shown = command_line(step, self.state.info.params)
        if not self.operator.allow_commands:  # the operator refuses it too: say so before asking
            self.notify("commands are shown for copying: set settings.checklist_commands = true to run them")
            return

        def answered(answer: Confirmation | None) -> None:
            if answer is not None and answer.confirmed:
                self._move(lambda: self.operator.run_command(step, shown))

        question = f"Run step {step.id}'s command on this host?"
        confirm = ConfirmScreen(
            question, self.state.info.target, ConfirmationKind.YES, (shown,),
            verb="Run the command", keep="Don't run", listing="command",
        )  # fmt: skip
        self.app.push_screen(confirm, answered)

    @work(thread=True, group="run-move", exit_on_error=False)
    def _prepare(self, step: ActionStep) -> None:
        env = ActionEnv(self.env.probe_context.target, self.env.action_policy())
        try:
            prepared = self.operator.prepare_action(step, env)
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return

        def runner(confirmation: Any, cancel: Any, progress: Any) -> Any:
            try:
                return self.operator.run_action(
                    step, prepared, confirmation, cancel=cancel, on_progress=progress
                )
            finally:
                self.app.call_from_thread(self._follow)

        self.app.call_from_thread(self.env.run_action, prepared.request, prepared.run, runner=runner)

    def action_finish(self) -> None:
        self._move(lambda: self.operator.finish(self.state))

    def action_abandon(self) -> None:
        """End the run unfinished: the reason is required, journaled, audited and reported."""
        self._ask(
            f"Abandon run {self.run_id}? Why (it goes in the report; escape keeps the run):",
            self.operator.abandon,
        )

    def action_take_over(self) -> None:
        """Taking a run from someone is deliberate: say who holds it and whether they are there."""
        info = self.journal.run(self.run_id)
        there = "still active" if info.holder_active else "silent for over a minute"
        summary = f"Take over run {self.run_id} from {self.state.holder} ({there})?"
        details = (f"{self.state.holder} will only be able to follow it; the take-over is audited.",)

        def answered(answer: Confirmation | None) -> None:
            if answer is not None and answer.confirmed:
                self._move(self.operator.take_over)

        self.app.push_screen(
            ConfirmScreen(
                summary, self.env.probe_context.target_name, ConfirmationKind.YES, details, verb="Take over"
            ),
            answered,
        )

    def action_export(self) -> None:
        folder = state_dir() / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{self.state.info.checklist_id}-{self.run_id}.md"
        path.write_text(render_report(self.state, self.journal.now()), encoding="utf-8")
        self.notify(f"report written to {path}")


def _what_it_does(step: Step, params: dict[str, str]) -> list[str]:
    """The detail's lines of the step's kind: the command as it runs, the action, the evidence."""
    match step:
        case CommandStep():
            return [f"$ {command_line(step, params)}"]
        case ActionStep():
            return [f"action {step.action} {dict(step.params) or ''}".rstrip()]
        case ManualStep() if step.evidence:
            return [f"evidence: {step.evidence}"]
    return []
