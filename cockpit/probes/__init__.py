"""Probes: read-only functions that look at one part of a target and return a Snapshot.

``PANE_PROBES`` maps each pane to its probes. The TUI pane and the headless ``cockpit check``
both call these, so they always agree. A pane issue adds its probe to its pane's list here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cockpit.model import Snapshot
from cockpit.probes.backups import backups_check
from cockpit.probes.bloat_check import bloat_check
from cockpit.probes.context import ProbeContext
from cockpit.probes.health import health_check
from cockpit.probes.queries_check import queries_check
from cockpit.probes.secrets import secrets_check

Probe = Callable[[ProbeContext], Awaitable[Snapshot]]

PANES: tuple[str, ...] = ("health", "queries", "bloat", "backups", "secrets", "checklists")

PANE_PROBES: dict[str, list[Probe]] = {
    "health": [health_check],
    "queries": [queries_check],
    "bloat": [bloat_check],
    "backups": [backups_check],
    "secrets": [secrets_check],
    "checklists": [],
}

__all__ = ["PANES", "PANE_PROBES", "Probe", "ProbeContext"]
