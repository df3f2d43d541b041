"""The Checklists pane's tables (the runs, the checklists) and a run's steps, on KeyedTable.

Titles come from checklist files and holders are user names: shown as they are (KeyedTable
never parses a cell as markup). A table that is re-read every second (the runs) or every half
second (a run's steps) hands all its rows each time; only a row whose cells changed is drawn
again, and the cursor stays on its run or step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cockpit.checklists.format import Checklist
from cockpit.checklists.journal import RunInfo, RunStatus
from widgets.keyed_table import Cell, Column, KeyedTable
from widgets.pane_table import PaneTable


def holder(info: RunInfo) -> str:
    """Who holds a running run, "(gone)" once their lease lapsed (their process renews it)."""
    gone = info.status is RunStatus.RUNNING and not info.holder_active
    return info.holder + (" (gone)" if gone else "")


class ChecklistRunsTable(PaneTable):
    """The runs, the ones in progress first, then by start; keyed by run id."""

    NARROW = ("run", "status", "holder", "checklist")
    FLEX = "checklist"

    def show(self, runs: Sequence[RunInfo]) -> None:
        ordered = sorted(runs, key=lambda r: (r.status is not RunStatus.RUNNING, r.started_at))
        self.put_rows(
            {
                info.id: {
                    "run": info.id,
                    "status": str(info.status),
                    "holder": holder(info),
                    "checklist": info.title,
                }
                for info in ordered
            }
        )


class ChecklistListTable(PaneTable):
    """The checklists of the library, by id; keyed by checklist id."""

    NARROW = ("checklist", "kind", "steps", "title")
    FLEX = "title"

    def show(self, checklists: Mapping[str, Checklist]) -> None:
        self.put_rows(
            {
                checklist_id: {
                    "checklist": checklist_id,
                    "kind": checklist.kind,
                    "steps": str(len(checklist.steps)),
                    "title": checklist.title,
                }
                for checklist_id, checklist in sorted(checklists.items())
            }
        )


class RunStepsTable(KeyedTable):
    """A run's steps, keyed by step id: a mark, the title, its state and its deadline.

    The title is the column that gives way: the state and the deadline (a countdown such as
    "again in 14m 59s") stay in view at 80 columns, and the detail shows the title whole.
    """

    # Priorities: the lowest goes first when the width is short; the title (flex) shrinks first.
    COLUMNS = (
        Column("mark", "", priority=400, max_width=1),
        Column("step", "STEP", priority=100, flex=True),
        Column("status", "STATUS", priority=300),
        Column("deadline", "DEADLINE", priority=200),
    )

    def show(self, steps: Mapping[str, Mapping[str, Cell]]) -> None:
        """Every applicable step's cells, in the run's order."""
        self.set_rows(steps)
