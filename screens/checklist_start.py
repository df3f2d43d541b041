"""Starting a checklist run from any pane: ask for the missing parameters, confirm, record, open.

The Checklists pane starts whatever is picked; other panes start the checklist for what is under
the cursor (the Secrets pane: key rotation for the selected secret), with its parameters given.
The journal may be a shared PostgreSQL across the network, so recording runs in a thread worker.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from cockpit.checklists.format import Checklist
from cockpit.checklists.params import applies, configured, instantiate, resolve
from cockpit.checklists.run import start_run
from cockpit.errors import CockpitError
from cockpit.guard import Confirmation, ConfirmationKind
from screens.checklist_run import ChecklistRunScreen
from screens.confirm import ConfirmScreen
from screens.pane_env import PaneEnv
from screens.prompt import PromptScreen


def start_checklist(
    host: Widget,
    env: PaneEnv,
    checklist: Checklist,
    params: dict[str, str] | None = None,
    *,
    reuse_running: bool = False,
    on_started: Callable[[str], object] | None = None,
) -> None:
    """Ask each parameter neither given, configured for the target nor defaulted, then ask to
    confirm (a stray Enter must not start an incident: Cancel has the focus), then start the
    run and open its screen.

    ``reuse_running``: a run of this checklist on this target with the same parameters still
    running is opened instead of starting a second one (one rotation of one secret at a time),
    without asking.
    """
    if env.observer:
        host.notify("read-only: observers follow runs, they do not start them", severity="warning")
        return
    target = env.probe_context.target
    params = {**configured(target, checklist), **(params or {})}
    missing = [p for p in checklist.params if p.name not in params and p.default is None]
    if missing:
        param = missing[0]
        choices = f" ({'/'.join(param.choices)})" if param.choices else ""

        def answered(value: str | None) -> None:
            if value is not None:
                start_checklist(
                    host, env, checklist, {**params, param.name: value.strip()},
                    reuse_running=reuse_running, on_started=on_started,
                )  # fmt: skip

        host.app.push_screen(PromptScreen(f"{param.name}{choices}: {param.prompt}"), answered)
        return
    try:  # a wrong answer or config is said now, before anything is asked or recorded
        values = resolve(checklist, params)
        concrete = instantiate(checklist, values, target)
    except CockpitError as exc:
        host.notify(str(exc), severity="error", timeout=10)
        return
    me = env.guard.actor.user

    def record() -> None:
        journal = env.checklist_journal()
        try:
            run_id = start_run(
                journal, checklist, target=env.probe_context.target_name, operator=me, params=values,
                target_config=target,
            )  # fmt: skip
        except CockpitError as exc:
            host.app.call_from_thread(host.notify, str(exc), severity="error")
            return
        if on_started is not None:
            host.app.call_from_thread(on_started, run_id)
        host.app.call_from_thread(open_run, host, env, run_id)

    def confirmed(answer: Confirmation | None) -> None:
        if answer is not None and answer.confirmed:  # the dialog says it when it is not
            host.run_worker(record, thread=True, group="checklist-start", exit_on_error=False)

    def ask() -> None:
        shown = tuple(f"{name} = {value or '(any)'}" for name, value in values.items())
        steps = [step for _, step in concrete.steps if applies(step, values)]  # this run's
        summary = f"Start a run of {checklist.title!r} ({len(steps)} steps)?"
        dialog = ConfirmScreen(
            summary, env.probe_context.target_name, ConfirmationKind.YES, shown,
            verb="Start the run", keep="Don't start", cancelled="cancelled: no run started",
        )  # fmt: skip
        host.app.push_screen(dialog, confirmed)

    if not reuse_running:
        ask()
        return

    def find_running() -> None:
        try:
            running = [
                r for r in env.checklist_journal().runs(unfinished=True)
                if r.checklist_id == checklist.id and r.target == env.probe_context.target_name
                and all(r.params.get(k) == v for k, v in params.items())
            ]  # fmt: skip
        except CockpitError as exc:
            host.app.call_from_thread(host.notify, str(exc), severity="error")
            return
        if not running:
            host.app.call_from_thread(ask)
            return
        host.app.call_from_thread(host.notify, f"already running: run {running[0].id} ({running[0].holder})")
        host.app.call_from_thread(open_run, host, env, running[0].id)

    host.run_worker(find_running, thread=True, group="checklist-start", exit_on_error=False)


def open_run(host: Widget, env: PaneEnv, run_id: str) -> None:
    """The run's screen: to carry on if you hold it, to follow it otherwise."""
    journal = env.checklist_journal()
    host.app.push_screen(ChecklistRunScreen(env, journal, run_id, env.guard.actor.user))
