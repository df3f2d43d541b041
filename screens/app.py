"""CockpitApp: the thin Textual App that wires the panes together.

It owns the things every pane shares -- the target, the guard, the state store, the header and
the running action -- and nothing pane-specific: each pane is built by ``screens.panes``.
Its backends are injected (config, store, clock), so tests run it on the real sandbox.
"""

from __future__ import annotations

import gc
import io
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from textual import events, on, work
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from cockpit import collector
from cockpit.config import Config
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionCancelled, ActionRefused, CockpitError, TuiCrashed
from cockpit.guard import (
    ActionContext,
    ActionRequest,
    Arming,
    CancelToken,
    Confirmation,
    ConfirmationKind,
    Guard,
    ProgressUpdate,
)
from cockpit.probes import ProbeContext
from cockpit.redact import redact
from cockpit.state import StateStore
from cockpit.units import format_duration
from cockpit.visible_text import visible
from cockpit.windows import WindowState, window_state
from screens.confirm import ConfirmScreen
from screens.deferred_pane import DeferredPane
from screens.focus_screen import FocusScreen
from screens.pane_env import PaneEnv, Runner
from screens.panes import PANES
from screens.target_picker import TargetPicker
from widgets.action_status import ActionStatus
from widgets.footer import KeyBar
from widgets.header import CockpitHeader
from widgets.keyed_table import Cell
from widgets.not_configured import NotConfigured
from widgets.pane_table import PaneTable
from widgets.pane_tabs import PaneTabs
from widgets.verbatim import markup_escaped

if TYPE_CHECKING:  # the journal is opened on first use, off the first frame's path
    from cockpit.checklists.journal import Journal

# Once started (Textual, psycopg, httpx imported; the first pane built and read), the heap's
# objects are moved out of the garbage collector's reach: a full collection walks all of them,
# and a workload that churns (a big backup listing) must not pause keystrokes for it (bench/
# latency_under_load.py). What start-up left as cyclic garbage stays: a few objects, once. Only
# for the `cockpit` process (run_app): a test process running many apps would keep each one.
FREEZE_AFTER_S = 5.0
RECLAIM_CHECK_S = 60.0  # how often the app asks whether cockpit.collector's reclaim is due

_Own = TypeVar("_Own", bound=Widget)


class CockpitApp(App[int]):
    """One target at a time, one tab per pane, every change through the guard."""

    TITLE = "ops-cockpit"
    CSS_PATH = str(Path(__file__).parent / "cockpit.tcss")
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # ctrl+c quits too, as in every other terminal program, wherever the focus is (Textual's
        # own ctrl+c only says "press ctrl+q to quit").
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("t", "switch_target", "Target"),
        Binding("r", "refresh_pane", "Refresh"),
        Binding("ctrl+x", "cancel_action", "Cancel action", show=False),
        Binding("A", "arm", "Arm/disarm writes"),
        *(Binding(p.key, f"show_pane('{p.id}')", p.title, show=False) for p in PANES),
    ]

    def __init__(
        self,
        config: Config,
        *,
        target: str | None = None,
        read_only: bool = False,
        store: StateStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        if self.console.color_system in ("standard", "windows"):
            # A 16-colour terminal: the terminal's own colours, no grey patchwork of downsampled
            # theme shades behind tables (Textual's ANSI theme).
            self.theme = "ansi-dark"
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # No animations unless asked for: every frame of one (the tab underline's slide is
            # many per pane switch) is bytes over SSH and CPU the next key waits for.
            self.animation_level = "none"
        self.config = config
        self.forced_read_only = read_only
        self.store = store or StateStore()
        self._owns_store = store is None
        self.now: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._window_warned: tuple[str, datetime] | None = None
        self.target_name, self.target = config.target(target)
        self.guard = self._make_guard()
        self._cancel: CancelToken | None = None
        self._action_summary = ""
        self._journal_lock = threading.Lock()
        self._opened_journal: Journal | None = None
        self.crash: Exception | None = None  # the first exception nothing handled, if any
        self.last_input = time.monotonic()  # the last key or click: the collector's quiet moment

    # -- target, guard and the panes' environment -------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.forced_read_only or self.target.read_only

    def _windows(self) -> WindowState:
        return window_state(self.target.maintenance_windows, self.now())

    def _make_guard(self) -> Guard:
        # A protected target starts read-only even for operators: `A` arms its writes a while.
        arming = Arming(minutes=self.target.arm_minutes) if self.target.protected else None
        return Guard(
            target=self.target_name,
            store=self.store,
            read_only=self.read_only,
            protected=self.target.protected,
            require_window=self.target.require_window,
            windows=self._windows,
            arming=arming,
        )

    def pane_env(self) -> PaneEnv:
        settings = self.config.settings
        return PaneEnv(
            probe_context=ProbeContext(
                target_name=self.target_name,
                target=self.target,
                thresholds=self.config.thresholds_for(self.target),
                settings=settings,
                # Probes never write: on a protected target their sessions are read-only even
                # when armed (actions take a session of their own: PaneEnv.action_policy).
                policy=SessionPolicy.from_settings(
                    settings, read_only=self.read_only or self.target.protected
                ),
                store=self.store,
            ),
            guard=self.guard,
            run_action=self.start_action,
            refresh_interval_s=settings.refresh_interval_s,
            journal=self._journal,
        )

    def _journal(self) -> Journal:
        """The checklist journal, opened on first use (a shared one is a network connection)."""
        from cockpit.checklists.journal import open_journal

        with self._journal_lock:
            if self._opened_journal is None:
                self._opened_journal = open_journal(
                    self.config, self.store, clock=self.now, read_only=self.read_only
                )
            return self._opened_journal

    # -- layout -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return FocusScreen()

    def compose(self) -> ComposeResult:
        yield CockpitHeader(id="header")
        yield self._pane_tabs()
        yield ActionStatus(id="action-status")
        yield KeyBar()

    def _pane_tabs(self) -> PaneTabs:
        """The six panes for the current target, opening on the one last shown there."""
        env = self.pane_env()
        initial = self._initial_pane()
        tabs = PaneTabs(initial=initial)
        for spec in PANES:
            content: Widget
            if not spec.configured(self.target):
                content = NotConfigured(
                    spec.what,
                    f"targets.{self.target_name}.{spec.section}",
                    spec.example.replace("targets.NAME", f"targets.{self.target_name}"),
                )
            elif spec.deferred and spec.id != initial:
                content = DeferredPane(spec.build, env, spec.id)
            else:
                content = spec.build(env)
            tabs.compose_add_child(TabPane(f"{spec.key} {spec.title}", content, id=spec.id))
        return tabs

    def _initial_pane(self) -> str:
        remembered = self.store.get_ui(f"last_pane:{self.target_name}")
        return remembered if remembered in {p.id for p in PANES} else PANES[0].id

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def reclaim_when_quiet(self) -> None:
        """The garbage the collector's freezes kept, collected when nobody waits for a key."""
        if collector.POLICY.due(time.monotonic(), self.last_input):
            collector.POLICY.reclaim()

    def on_mount(self) -> None:
        self._update_header()
        self.set_interval(10, self._update_header)
        self.set_interval(1, self._watch_arming)  # the countdown; returns at once where unarmed
        self.call_after_refresh(self.focus_into_pane)
        self.call_after_refresh(self._reopen_unfinished_run)

    @work(thread=True, group="resume", exit_on_error=False)
    def _reopen_unfinished_run(self) -> None:
        """A run of this target you hold and left unfinished (a dropped SSH session, a killed
        process) reopens at start: the Checklists pane, built when first shown, is built now if
        there is one. Another target's run reopens only in a cockpit on that target."""
        if self.guard.observer:
            return
        try:
            runs = self._journal().runs(unfinished=True)
        except CockpitError:
            return  # the Checklists pane says why when it is shown
        if any(run.holder == self.guard.actor.user and run.target == self.target_name for run in runs):
            self.call_from_thread(self._build_pane_unseen, "checklists")

    def _build_pane_unseen(self, pane_id: str) -> None:
        for deferred in self.query(DeferredPane):
            if deferred.pane_id == pane_id:
                self.run_worker(deferred.build_pane(focus=False), group="resume")

    # -- arming a protected target's writes ------------------------------------------------------

    def action_arm(self) -> None:
        """Arm writes (the target's name typed), or disarm them at once if armed."""
        if self.guard.arming is None or self.guard.observer:
            return
        if self.guard.arming.armed:
            self.guard.disarm("disarmed by the operator")
            self._armed_changed()
            return
        minutes = self.guard.arming.minutes

        def answered(answer: Confirmation | None) -> None:
            if answer is None or not answer.confirmed:
                return
            try:
                self.guard.arm(answer.typed)
            except ActionRefused as exc:
                self.notify(str(exc), severity="error")
            self._armed_changed()

        summary = f"Arm writes on {self.target_name} for {minutes:g} minutes"
        details = (
            "Actions are offered until the countdown ends (A disarms sooner); each is still confirmed.",
        )
        self.push_screen(
            ConfirmScreen(summary, self.target_name, ConfirmationKind.TYPED, details, verb="Arm"), answered
        )

    def _watch_arming(self) -> None:
        arming = self.guard.arming
        if arming is None or arming.until is None:
            return
        if not arming.armed:
            self.guard.disarm(f"lapsed after {arming.minutes:g} min")
            self.notify(f"writes on {self.target_name} disarmed: the time ran out", severity="warning")
            self._armed_changed()
        else:
            header = self._own_widget(CockpitHeader)
            if header is not None:
                header.armed = _countdown(arming.seconds_left)

    def _armed_changed(self) -> None:
        """Every screen's bindings follow (absent again once disarmed); the header says so."""
        for screen in self.screen_stack:
            screen.refresh_bindings()
        header = self._own_widget(CockpitHeader)
        if header is None:
            return
        header.read_only = self.guard.read_only
        arming = self.guard.arming
        header.armed = _countdown(arming.seconds_left) if arming and arming.armed else ""

    def _own_widget(self, kind: type[_Own]) -> _Own | None:
        """The app's own ``kind`` (the header, the action line), or None while the app closes.

        They are composed with the app and never removed (a target switch replaces only the
        panes), so they are missing only as the app closes: Textual's Pilot tears the screens
        down, children first, while the app's loop still handles a worker's end or a timer's
        tick, and an action ending then must not crash the app on a query that matches nothing.
        A widget whose message loop has stopped is being torn down too. Nothing to show then.
        """
        found = self.query(kind)
        widget = found.first() if found else None
        return widget if widget is not None and widget.is_running else None

    def _update_header(self) -> None:
        header = self._own_widget(CockpitHeader)
        if header is None:
            return
        header.target = self.target_name
        header.read_only = self.guard.read_only
        header.protected = self.target.protected
        state = self._windows()
        header.window = state.describe()
        header.in_window = state.in_window
        header.window_urgency = urgency = state.urgency(self.config.settings.window_warning)
        self.sub_title = self.target_name
        closing = (state.active_name or "", state.active_until or self.now())
        if urgency and self._window_warned != closing and not self.read_only:
            self._window_warned = closing  # once per window: the header stays coloured
            self.notify(
                f"maintenance window {state.active_name} closes in "
                f"{format_duration(closing[1] - state.now)}: wrap up or roll back",
                severity="warning",
                timeout=15,
            )

    @on(PaneTable.RowSelected)
    def _show_row(self, event: PaneTable.RowSelected) -> None:
        """``enter`` on a row with no view of its own: every column, whole (80x24 cuts some)."""
        if isinstance(event.table, PaneTable):
            self._detail(event.table.row_cells(event.key))

    def _detail(self, cells: list[tuple[str, Cell]]) -> None:
        if cells:
            from screens.row_detail import RowDetail

            label, value = cells[0]
            plain = value.plain if not isinstance(value, str) else value
            self.push_screen(RowDetail(f"{label}: {plain}", cells))

    @on(TabbedContent.TabActivated)
    def _remember_pane(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id
        if pane_id:
            self.store.set_ui(f"last_pane:{self.target_name}", pane_id)

    # -- bindings -----------------------------------------------------------------------------

    async def action_show_pane(self, pane: str) -> None:
        tabbed = self.query_one(TabbedContent)
        tabbed.active = pane  # shows the pane at once (ContentSwitcher sets display)
        # The focus moves now, not after the queue (Widget.focus), and off the old pane before
        # anything else runs: left on a hidden table it would move on to the old pane's next one,
        # and TabbedContent would switch straight back (a digit pressed inside a pane would do
        # nothing). Into the pane, so a key typed right after the digit lands there; to the tabs
        # while the pane has nothing to focus. One focus move where the pane is built: each
        # restyles and re-lays the key bar, so a tab switch pays for one only.
        if self.focus_into_pane(pane):
            return
        self.screen.set_focus(tabbed.query_one(Tabs))
        shown = tabbed.active_pane
        deferred = shown.query(DeferredPane) if shown is not None else None
        if deferred:
            # Built now, before the next key is handled: keys are matched to bindings as they
            # reach the app, in order, and one typed right after the digit (`5` then `v`) must
            # find the pane built, or it is lost.
            await deferred.first().build_pane(focus=False)
            self.focus_into_pane(pane)

    def focus_into_pane(self, pane: str | None = None) -> bool:
        """Take the keys into the pane shown, so its bindings work at once (keyboard first).

        Only if ``pane`` is the one shown: focusing a widget of another pane makes TabbedContent
        switch to it (from a TabActivated handler, two tabs would ping-pong forever).
        True if the focus is now in the pane.
        """
        tabbed = self.query_one(TabbedContent)
        shown = tabbed.active_pane
        if shown is None or (pane is not None and shown.id != pane) or self.screen is not tabbed.screen:
            return False
        target = next((w for w in self.screen.focus_chain if shown in w.ancestors), None)
        if target is None:
            return False
        self.screen.set_focus(target)  # now: see action_show_pane
        return True

    def action_help(self) -> None:
        """The help for where you are: the pane's keys as offered now (read-only offers fewer)
        and its notes (views, filter syntax), then the keys of the whole app."""
        from screens.help import PANE_NOTES, HelpScreen, help_text  # Markdown: not at start

        screen = self.screen
        tabbed = self.query_one(TabbedContent)
        shown = tabbed.active_pane
        if screen is tabbed.screen and shown is not None:
            spec = next(p for p in PANES if p.id == shown.id)
            owner: object = shown.children[0] if shown.children else shown
            where, notes = f"{spec.title} pane ({spec.key})", PANE_NOTES.get(spec.id, "")
            if isinstance(owner, NotConfigured):
                notes = "Not configured on this target: the pane says what to add to the config."
        else:  # a screen of its own (a checklist run): its keys
            owner, where, notes = screen, "This screen", ""
        keys = [
            (self.get_key_display(binding), binding.description)
            for binding in _bindings(owner)
            if binding.description and _offered(owner, binding)
        ]
        self.push_screen(HelpScreen(help_text(where, keys, notes)))

    def action_refresh_pane(self) -> None:
        active = self.query_one(TabbedContent).active_pane
        if active is None:
            return
        for child in active.children:
            refresh = getattr(child, "refresh_now", None)
            if callable(refresh):
                refresh()

    def action_switch_target(self) -> None:
        if len(self.config.targets) < 2:
            self.notify("only one target is configured", severity="information")
            return
        choices = [(name, t.description) for name, t in self.config.targets.items()]
        self.push_screen(TargetPicker(choices, self.target_name), self._switch_to)

    async def _switch_to(self, name: str | None) -> None:
        """Every pane rebuilt for target ``name``, opening on its last pane, the keys in it.

        Runs on the app's own message loop (the picker's callback, the palette's command), never
        in a worker: no two switches overlap (a switch in a worker can cancel itself halfway,
        the cockpit's widgets removed and none mounted). Only the panes are replaced; the header,
        the action line and the key bar stay. The new panes are mounted and the focus taken into
        them before the old ones go: a removal that leaves the focus nowhere lets the screen's
        auto-focus (a dialog just closed) settle on a widget being removed, and every key would
        then go to a widget no longer on screen (the key bar blank, even `q` dead).
        """
        if name is None or name == self.target_name:
            return
        if self._cancel is not None:
            self.notify("an action is running: cancel it or let it finish first", severity="warning")
            return
        self.workers.cancel_group(self, "resume")  # a pane being built unseen for the old target
        self.guard.disarm(f"switched to target {name}")
        self.target_name, self.target = self.config.target(name)
        self.guard = self._make_guard()
        old = self.query_one(PaneTabs)
        new = self._pane_tabs()
        with self.batch_update():  # one frame: the new panes, never both halves
            await old.screen.mount(new, before=old)  # the cockpit's screen, whatever is on top
            if not self.focus_into_pane(new.active):
                new.screen.set_focus(new.query_one(Tabs))
            old.display = False
        # Not awaited: the keys work in the new panes while the old ones close (their workers
        # cancelled, their sessions closed by their on_unmount), a few hundred milliseconds.
        old.remove()
        self._update_header()
        for screen in self.screen_stack:
            screen.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_action":
            return self._cancel is not None
        if action == "arm":  # only where there is something to arm, never for an observer
            return self.guard.arming is not None and not self.guard.observer
        return True

    def action_cancel_action(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.notify("cancelling...", severity="warning")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own, then the cockpit's: its panes, the other targets, the pane's actions.

        The palette parses titles and help as markup; the cockpit's are text (target names, and
        archive tables from the config), escaped at this one place (widgets.verbatim).
        """
        yield from super().get_system_commands(screen)
        for title, help_text, callback in self._cockpit_commands():
            yield SystemCommand(markup_escaped(title), markup_escaped(help_text), callback)

    def _cockpit_commands(self) -> Iterable[tuple[str, str, Any]]:
        for spec in PANES:
            yield (
                f"Pane: {spec.title}",
                f"Go to the {spec.title} pane ({spec.key})",
                lambda pane=spec.id: self.action_show_pane(pane),
            )
        for name in self.config.targets:
            if name != self.target_name:
                yield (
                    f"Target: {name}",
                    f"Switch to target {name}",
                    # Awaited by the app's loop as the palette closes, like the picker's answer.
                    lambda target=name: self._switch_to(target),
                )
        yield ("Help", "Keys and what the cockpit shows", self.action_help)
        # Panes offer their actions here: a pane widget with ``palette_commands()`` returning
        # (title, help, callback) triples. A pane offers nothing it would refuse (guard.offers).
        active = self.query_one(TabbedContent).active_pane
        for widget in active.walk_children() if active is not None else ():
            commands = getattr(widget, "palette_commands", None)
            if callable(commands):
                yield from commands()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notification shown as text, whatever ``markup`` says (widgets pass True by default).

        Notifications carry error messages, relation and run names, checklist titles: what a
        server or a file said, never markup of the cockpit's own (widgets.verbatim).
        """
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    # -- actions: confirm, guard, run in a worker, show progress -----------------------------

    def start_action(
        self,
        request: ActionRequest,
        action: Callable[[ActionContext], Any],
        *,
        runner: Runner | None = None,
    ) -> None:
        """Ask for the confirmation the guard needs, then run ``action`` in a thread worker.
        ``runner`` replaces the guard's run for callers that guard and journal themselves (a
        checklist step): it gets the confirmation, the cancel token and the progress callback."""
        if runner is None:

            def runner(confirmation: Confirmation | None, cancel: CancelToken, progress: Any) -> Any:
                return self.guard.run(request, confirmation, action, cancel=cancel, on_progress=progress)

        if not self.guard.offers(request):
            # Screens should not have offered it; refuse (and audit the attempt) all the same.
            self._run_guarded(request, None, runner)
            return
        if self._cancel is not None:
            self.notify("another action is running: wait for it or cancel it (ctrl+x)", severity="warning")
            return
        kind = self.guard.confirmation_needed(request)
        if kind is ConfirmationKind.NONE:
            self._run_guarded(request, Confirmation(confirmed=True), runner)
            return
        chosen = runner

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None and answer.confirmed:
                self._run_guarded(request, answer, chosen)

        self.push_screen(
            ConfirmScreen(
                request.summary,
                self.target_name,
                kind,
                request.details,
                verb=request.button,
                keep=request.keep,
                listing=request.listing,
            ),
            confirmed,
        )

    def _run_guarded(self, request: ActionRequest, confirmation: Confirmation | None, runner: Runner) -> None:
        self._cancel = CancelToken()
        self._action_summary = request.summary
        status = self._own_widget(ActionStatus)
        if status is not None:
            status.start(request.summary)
        self._action_worker(confirmation, runner, self._cancel)

    @work(thread=True, group="actions", exit_on_error=False, description="Running an action")
    def _action_worker(self, confirmation: Confirmation | None, runner: Runner, cancel: CancelToken) -> Any:
        def progress(update: ProgressUpdate) -> None:
            # The widget is looked up on the app's loop, never from this thread.
            self.call_from_thread(self._show_progress, update.message, update.fraction)

        return runner(confirmation, cancel, progress)

    def _show_progress(self, message: str, fraction: float | None) -> None:
        status = self._own_widget(ActionStatus)
        if status is not None:
            status.progress(message, fraction)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """One place for worker outcomes: never a crash of the app, always a visible line."""
        worker, state = event.worker, event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "actions":
            self._cancel = None
            status = self._own_widget(ActionStatus)
            if status is not None:
                status.finish()
            if state is WorkerState.SUCCESS:
                self.notify(redact(f"{self._action_summary}: done"), title="Action")
        if state is WorkerState.ERROR and worker.error is not None:
            error = worker.error
            if isinstance(error, ActionRefused):
                self.notify(str(error), title="Refused", severity="error")
            elif isinstance(error, ActionCancelled):
                self.notify(str(error), title="Cancelled", severity="warning")
            elif isinstance(error, CockpitError):
                self.notify(redact(str(error)), title="Failed", severity="error")
            else:
                self.notify(redact(f"{type(error).__name__}: {error}"), title="Error", severity="error")

    def _handle_exception(self, error: Exception) -> None:
        """An exception nothing handled (in a handler, a timer, a worker that exits on error):
        Textual ends the app, with return code 1 and its result None, which would read as exit 0.
        Kept here so that run_app raises it: one line, the crash log, exit 70.
        Textual has no public hook for this; the pinned version's own handling still runs (so
        Pilot re-raises it in tests)."""
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)

    async def action_quit(self) -> None:
        """Say what is being stopped (it takes a second or so), draw that, then exit."""
        stopping = "ending the panes' workers, closing their database sessions"
        if self._cancel is not None:
            self._cancel.cancel()
            stopping = f"cancelling {self._action_summary}, {stopping}"
        self.workers.cancel_all()
        status = self._own_widget(ActionStatus)
        if status is not None:
            status.say(f"quitting: {stopping}...")
        # After the next frame: once exiting, Textual draws nothing more.
        self.call_after_refresh(self.exit, 0)

    def on_unmount(self) -> None:
        if self._opened_journal is not None:
            self._opened_journal.close()
        if self._owns_store:
            self.store.close()


def _bindings(node: object) -> list[Binding]:
    """A widget's or screen's own bindings (its class's BINDINGS), wherever the focus is."""
    declared = getattr(type(node), "BINDINGS", [])
    return [b for b in declared if isinstance(b, Binding)]


def _offered(node: object, binding: Binding) -> bool:
    """Whether ``node`` offers ``binding`` now (its check_action: read-only offers fewer)."""
    check = getattr(node, "check_action", None)
    if not callable(check):
        return True
    _, name, parameters = parse_action(binding.action)
    return bool(check(name, parameters))


def _countdown(seconds: float) -> str:
    """Whole minutes left (rounded up) until the last one, then seconds: calm, and still exact."""
    return f"{math.ceil(seconds / 60)}m" if seconds > 60 else f"{math.ceil(seconds)}s"


def tune_collector(app: CockpitApp) -> None:
    """The garbage collector for a process that runs this one app: back on after the first frame
    (cli._run_tui holds it off for the start), the start's objects frozen FREEZE_AFTER_S in, and
    cockpit.collector's policy for large readings, with its reclaim asked for once a minute."""
    collector.POLICY.enable()
    app.call_later(lambda: app.call_after_refresh(gc.enable))
    app.call_later(lambda: app.set_timer(FREEZE_AFTER_S, gc.freeze))
    app.call_later(lambda: app.set_interval(RECLAIM_CHECK_S, app.reclaim_when_quiet))


def run_app(config: Config, *, target: str | None, read_only: bool) -> int:
    """Run the TUI to completion; the return code is the app's.

    Raises TuiCrashed when the TUI ended on an exception nothing handled. Textual would print its
    traceback, local variables included, on the terminal as it exits: its error console is a
    sink here, and the CLI says it in one line with the crash log's path instead.
    """
    app = CockpitApp(config, target=target, read_only=read_only)
    tune_collector(app)
    app.error_console = Console(file=io.StringIO(), markup=False, highlight=False)
    result = app.run()
    if app.crash is not None:
        raise TuiCrashed(f"{type(app.crash).__name__}: {app.crash}") from app.crash
    if app.return_code:
        raise TuiCrashed(f"the TUI ended with code {app.return_code}")
    return int(result or 0)
