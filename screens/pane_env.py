"""What the app hands every pane: its probe context, the guard, and a way to run actions.

Panes get their backends injected (Harlequin's way): tests build a PaneEnv on the real sandbox
or on small fakes without patching globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from cockpit.db.sessions import SessionPolicy
from cockpit.guard import ActionContext, ActionRequest, CancelToken, Confirmation, Guard, ProgressUpdate
from cockpit.probes import ProbeContext

if TYPE_CHECKING:  # imported with the Checklists pane, not on the first frame's path
    from cockpit.checklists.journal import Journal

# Runs a confirmed action in the app's worker: (confirmation, cancel token, progress callback).
Runner = Callable[[Confirmation | None, CancelToken, Callable[[ProgressUpdate], None]], Any]


class RunAction(Protocol):
    def __call__(
        self,
        request: ActionRequest,
        action: Callable[[ActionContext], Any],
        *,
        runner: Runner | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class PaneEnv:
    probe_context: ProbeContext
    guard: Guard
    run_action: RunAction
    refresh_interval_s: float
    journal: Callable[[], Journal] | None = None  # the checklist journal, opened on first use

    def checklist_journal(self) -> Journal:
        if self.journal is None:
            raise RuntimeError("this PaneEnv has no checklist journal")
        return self.journal()

    @property
    def read_only(self) -> bool:
        """No change can be made now: an observer, or a protected target not armed."""
        return self.guard.read_only

    @property
    def observer(self) -> bool:
        """Read-only for the whole session: may follow a checklist run, never hold one."""
        return self.guard.observer

    def action_policy(self) -> SessionPolicy:
        """The sessions an action opens: writable only while the guard lets changes through
        (the probes' sessions stay read-only on protected targets)."""
        return replace(self.probe_context.policy, read_only=self.read_only)
