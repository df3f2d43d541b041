"""What the app hands every pane: its probe context, the guard, and a way to run actions.

Panes get their backends injected (Harlequin's way): tests build a PaneEnv on the real sandbox
or on small fakes without patching globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit.guard import ActionContext, ActionRequest, Guard
from cockpit.probes import ProbeContext

RunAction = Callable[[ActionRequest, Callable[[ActionContext], Any]], None]


@dataclass(frozen=True, slots=True)
class PaneEnv:
    probe_context: ProbeContext
    guard: Guard
    run_action: RunAction
    refresh_interval_s: float

    @property
    def read_only(self) -> bool:
        return self.guard.read_only
