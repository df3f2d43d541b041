"""The Checklists pane: the checklists (built-in and yours) and the runs, in progress first.

`enter` on a checklist starts a run (asking its parameters: an incident's severity), `enter` on
a run opens it (to follow it, or to carry on if you hold it). Observers can open runs, never
start one. When the cockpit opens and you hold an unfinished run (a dropped SSH session, a killed
process), its screen opens where it stopped.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from cockpit.checklist_format import Checklist
from cockpit.checklist_library import Library, load_library
from cockpit.errors import CockpitError
from cockpit.journal import Journal, RunInfo
from screens.checklist_start import open_run, start_checklist
from screens.pane_env import PaneEnv


class ChecklistsPane(Vertical):
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
        super().__init__(**kwargs)
        self.env = env
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
        runs: DataTable[Any] = DataTable(id="checklist-runs", cursor_type="row")
        label.display = runs.display = False
        yield label
        yield runs
        yield Label("checklists (enter: start a run)", id="list-label")
        listing: DataTable[Any] = DataTable(id="checklist-list", cursor_type="row")
        yield listing

    def on_mount(self) -> None:
        runs = self.query_one("#checklist-runs", DataTable)
        for column in ("run", "status", "holder", "checklist"):
            runs.add_column(column.upper(), key=column)
        listing = self.query_one("#checklist-list", DataTable)
        for column in ("checklist", "kind", "steps", "title"):
            listing.add_column(column.upper(), key=column)
        self._load(resume=True)

    @work(thread=True, exclusive=True, group="checklists-load", exit_on_error=False)
    def _load(self, resume: bool = False) -> None:
        try:
            library = load_library(self.env.probe_context.settings)
            runs = self.journal.runs()
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, library, runs, resume)

    def _show(self, library: Library, runs: list[RunInfo], resume: bool) -> None:
        self.library, self.runs = library, runs
        table = self.query_one("#checklist-runs", DataTable)
        table.clear()
        for info in sorted(runs, key=lambda r: (r.status != "running", r.started_at), reverse=False):
            holder = info.holder + ("" if info.holder_active or info.status != "running" else " (gone)")
            table.add_row(info.id, info.status, holder, info.title, key=info.id)
        # No runs yet: no empty table to tab through on the way to the checklists.
        had_focus = table.has_focus
        table.display = self.query_one("#runs-label").display = bool(runs)
        listing = self.query_one("#checklist-list", DataTable)
        if had_focus and not runs:
            self.screen.set_focus(listing)  # a hidden table's focus would be lost, keys and all
        listing.clear()
        for checklist_id, entry in sorted(library.entries.items()):
            checklist = entry.checklist
            listing.add_row(
                checklist_id, checklist.kind, str(len(checklist.steps)), checklist.title, key=checklist_id
            )
        for error in library.errors:
            self.notify(error, severity="error", timeout=10)
        mine = [r for r in runs if r.status == "running" and r.holder == self.me]
        if resume and mine and not self.env.observer:
            self.notify(f"resuming your unfinished run {mine[0].id} ({mine[0].title})")
            self._open(mine[0].id)

    def action_reload(self) -> None:
        self._load()

    def action_open(self) -> None:
        focused = self.app.focused
        if isinstance(focused, DataTable) and focused.id == "checklist-runs" and focused.row_count:
            self._open(str(focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value))
        elif isinstance(focused, DataTable) and focused.id == "checklist-list" and focused.row_count:
            key = str(focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value)
            self._start(self.library.get(key))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _open(self, run_id: str) -> None:
        open_run(self, self.env, run_id)

    def _start(self, checklist: Checklist) -> None:
        start_checklist(self, self.env, checklist, on_started=lambda _: self._load())
