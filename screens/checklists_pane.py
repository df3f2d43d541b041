"""The Checklists pane: the checklists (built-in and yours) and the runs, in progress first.

`enter` on a checklist starts a run (asking its parameters: an incident's severity, then a
confirmation), `enter` on a run opens it (to follow it, or to carry on if you hold it). The runs
are re-read every second while the pane is in view: a run finished, taken over or abandoned
shows so without `r`. Observers can open runs, never start one. When the cockpit opens on a
target and you hold an unfinished run of that target (a dropped SSH session, a killed process),
its screen opens where it stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from cockpit.checklists.format import Checklist
from cockpit.checklists.journal import Journal, RunInfo, RunStatus
from cockpit.checklists.library import Library, load_library
from cockpit.errors import CockpitError
from screens.cadence import EveryRefresh
from screens.checklist_start import open_run, start_checklist
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.checklist_tables import ChecklistListTable, ChecklistRunsTable
from widgets.pane_table import PaneTable

POLL_S = 1.0


class ChecklistsPane(PollingPane):
    BINDINGS = [
        Binding("enter", "open", "Start/open", show=True),
        Binding("r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    ChecklistsPane > Label { height: 1; padding: 0 1; color: $text-muted; }
    ChecklistsPane > #checklist-runs { height: 8; }
    ChecklistsPane > #checklist-list { height: 1fr; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.library = Library()
        self.runs: list[RunInfo] = []

    @property
    def journal(self) -> Journal:
        return self.env.checklist_journal()

    @property
    def me(self) -> str:
        return self.env.guard.actor.user

    def compose(self) -> ComposeResult:
        # Hidden until there are runs (_show): the keys go into the checklists, not into an
        # empty table that then disappears from under the focus.
        label = Label("runs (enter: open)", id="runs-label")
        runs = ChecklistRunsTable(id="checklist-runs")
        label.display = runs.display = False
        yield label
        yield runs
        yield Label("checklists (enter: start a run)", id="list-label")
        yield ChecklistListTable(id="checklist-list")

    def on_mount(self) -> None:
        self._load(resume=True)
        # The runs as they are (finished, taken over, a holder gone) without `r`: re-read every
        # second while the pane is in view.
        self.poll(self._read_runs, EveryRefresh(lambda: POLL_S), description="Reading checklist runs")

    @work(thread=True, exclusive=True, group="checklists-load", exit_on_error=False)
    def _load(self, resume: bool = False) -> None:
        try:
            library = load_library(self.env.probe_context.settings)
            runs = self.journal.runs()
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, library, runs, resume)

    async def _read_runs(self) -> None:
        try:
            runs = await asyncio.to_thread(self.journal.runs)
        except CockpitError:
            return  # said by the full load (`r`); a poll does not repeat it every second
        self._show_runs(runs)

    def _show_runs(self, runs: list[RunInfo]) -> None:
        """The runs table (only the rows that changed are drawn again; the cursor stays on its run)."""
        self.runs = runs
        table = self.query_one(ChecklistRunsTable)
        table.show(runs)
        # No runs yet: no empty table to tab through on the way to the checklists.
        had_focus = table.has_focus
        table.display = self.query_one("#runs-label").display = bool(runs)
        if had_focus and not runs:
            self.screen.set_focus(self.query_one(ChecklistListTable))  # keys and all

    def _show(self, library: Library, runs: list[RunInfo], resume: bool) -> None:
        self.library = library
        self._show_runs(runs)
        checklists = {key: entry.checklist for key, entry in library.entries.items()}
        self.query_one(ChecklistListTable).show(checklists)
        for error in library.errors:
            self.notify(error, severity="error", timeout=10)
        # Only a run of this target reopens by itself: one of staging's, reopened in a cockpit on
        # prod, would look like prod's (its checks and actions are refused there anyway).
        here = self.env.probe_context.target_name
        mine = [r for r in runs if r.status is RunStatus.RUNNING and r.holder == self.me and r.target == here]
        if resume and mine and not self.env.observer:
            self.notify(f"resuming your unfinished run {mine[0].id} ({mine[0].title})")
            self._open(mine[0].id)

    def action_reload(self) -> None:
        self._load()

    def action_open(self) -> None:
        focused = self.app.focused
        key = focused.selected_key() if isinstance(focused, PaneTable) else None
        if isinstance(focused, ChecklistRunsTable) and key is not None:
            self._open(key)
        elif isinstance(focused, ChecklistListTable) and key is not None:
            self._start(self.library.get(key))

    @on(PaneTable.RowSelected)
    def _selected(self, event: PaneTable.RowSelected) -> None:
        event.stop()  # a run opens, a checklist starts: not the row's detail
        self.action_open()

    def _open(self, run_id: str) -> None:
        open_run(self, self.env, run_id)

    def _start(self, checklist: Checklist) -> None:
        start_checklist(self, self.env, checklist, on_started=lambda _: self._load())
