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
from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label

from cockpit.checklists.format import Checklist
from cockpit.checklists.journal import Journal, RunInfo, RunStatus
from cockpit.checklists.library import Library, load_library
from cockpit.errors import CockpitError
from screens.cadence import EveryRefresh
from screens.checklist_start import open_run, start_checklist
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.verbatim import safe_cell

POLL_S = 1.0
RUN_COLUMNS = ("run", "status", "holder", "checklist")
LIST_COLUMNS = ("checklist", "kind", "steps", "title")


def _fill(table: DataTable[Any], columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Show ``rows`` in ``table`` (keyed by their first cell), each column as wide as its widest
    cell or its header; cells as they are (safe_cell: titles from checklist files, user names).

    The rule: a table filled while it may be on screen gets its column widths with its rows, never
    from DataTable's auto width. That is measured on the table's next Idle, and a frame painted
    before it (a worker's or a poll's rows, under load) stays in DataTable's render caches at the
    headers' widths until the rows next change.
    """
    cells = [tuple(map(safe_cell, row)) for row in rows]
    table.clear(columns=True)
    for index, column in enumerate(columns):
        label = column.upper()
        widths = [cell_len(line) for row in cells for line in str(row[index]).splitlines()]
        table.add_column(label, key=column, width=max([cell_len(label), *widths]))
    for row, shown in zip(rows, cells, strict=True):
        table.add_row(*shown, key=row[0])


def _holder(info: RunInfo) -> str:
    """Who holds a running run, "(gone)" once their lease lapsed (their process renews it)."""
    return info.holder + ("" if info.holder_active or info.status is not RunStatus.RUNNING else " (gone)")


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
        self._shown_runs: list[tuple[str, str, str, str]] = []

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
        _fill(self.query_one("#checklist-runs", DataTable), RUN_COLUMNS, [])
        _fill(self.query_one("#checklist-list", DataTable), LIST_COLUMNS, [])
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
        """The runs table, rebuilt only when a row changed, the cursor kept on its run."""
        self.runs = runs
        table = self.query_one("#checklist-runs", DataTable)
        rows = [
            (info.id, str(info.status), _holder(info), info.title)
            for info in sorted(runs, key=lambda r: (r.status is not RunStatus.RUNNING, r.started_at))
        ]
        if rows != self._shown_runs:
            self._shown_runs = rows
            cursor = table.coordinate_to_cell_key(table.cursor_coordinate) if table.row_count else None
            was_on = str(cursor.row_key.value) if cursor else None
            _fill(table, RUN_COLUMNS, rows)
            ids = [row[0] for row in rows]
            if was_on in ids:
                table.move_cursor(row=ids.index(was_on))
        # No runs yet: no empty table to tab through on the way to the checklists.
        had_focus = table.has_focus
        table.display = self.query_one("#runs-label").display = bool(runs)
        if had_focus and not runs:
            self.screen.set_focus(self.query_one("#checklist-list", DataTable))  # keys and all

    def _show(self, library: Library, runs: list[RunInfo], resume: bool) -> None:
        self.library = library
        self._show_runs(runs)
        rows = [
            (checklist_id, entry.checklist.kind, str(len(entry.checklist.steps)), entry.checklist.title)
            for checklist_id, entry in sorted(library.entries.items())
        ]
        _fill(self.query_one("#checklist-list", DataTable), LIST_COLUMNS, rows)
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
