"""Which probes each pane runs: ``PANE_PROBES``, for the headless ``cockpit check`` and checklist
checks. The TUI pane and ``cockpit check`` call the same probes, so they always agree. A pane issue
adds its probe to its pane's list here.

Kept out of ``cockpit.probes`` itself: importing every probe module there would put S3, bloat and
secrets code on the TUI's first frame's path, where each pane imports only its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cockpit.backups.inventory import backups_check
from cockpit.model import Snapshot
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

# The libraries each pane's probes import on first use (lazily, for the TUI's first frame).
# `cockpit check` imports them before any probe starts: an import holds the GIL (up to half a
# second), and one made while a health request is being timed (on its own thread) would go into
# that endpoint's latency.
PANE_LIBRARIES: dict[str, tuple[str, ...]] = {
    "health": ("psycopg",),  # httpx is imported on the request loop, before any request is timed
    "queries": ("psycopg",),
    "bloat": ("psycopg",),
    "backups": ("psycopg", "boto3", "botocore.config"),
    "secrets": ("psycopg", "boto3", "cryptography.x509"),
    "checklists": (),
}
