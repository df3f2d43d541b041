"""The six panes: their tab, key, the config they need, and what builds them.

Each pane is a screen module of its own, imported by its ``build`` when the pane is first built;
everything else (tabs, keys, palette, "not configured" notices) follows from this table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from cockpit.config import Target
from screens.pane_env import PaneEnv


@dataclass(frozen=True, slots=True, kw_only=True)
class PaneSpec:
    id: str
    title: str
    key: str
    section: str
    what: str
    example: str
    configured: Callable[[Target], bool]
    build: Callable[[PaneEnv], Widget]
    # Built when first shown (its module imported then): only the pane on screen and the ones
    # that must watch from the start (health) hold back the first frame.
    deferred: bool = True


def _built_by(module: str, widget_class: str) -> Callable[[PaneEnv], Widget]:
    """A pane's build: ``screens.<module>`` is imported when the pane is first built, not at start."""

    def build(env: PaneEnv) -> Widget:
        pane_class = getattr(importlib.import_module(f"screens.{module}"), widget_class)
        widget: Widget = pane_class(env, id=module.replace("_", "-"))
        return widget

    return build


DATABASE_EXAMPLE = """
[[targets.NAME.databases]]
name = "app"
dsn = "postgresql://cockpit@db.internal:5432/app"
password = "keyring:app-db"
"""


PANES: tuple[PaneSpec, ...] = (
    PaneSpec(
        id="health",
        title="Health",
        key="1",
        section="databases",
        what="no databases or health endpoints to watch",
        example=DATABASE_EXAMPLE
        + """
[[targets.NAME.health]]
name = "api"
url = "https://api.example.com/api/monitoring/health"
""",
        configured=lambda t: bool(t.databases or t.health),
        build=_built_by("health_pane", "HealthPane"),
        deferred=False,
    ),
    PaneSpec(
        id="queries",
        title="Queries",
        key="2",
        section="databases",
        what="no database to read statements from",
        example=DATABASE_EXAMPLE,
        configured=lambda t: bool(t.databases),
        build=_built_by("queries_pane", "QueriesPane"),
    ),
    PaneSpec(
        id="bloat",
        title="Bloat",
        key="3",
        section="databases",
        what="no database to estimate bloat in",
        example=DATABASE_EXAMPLE,
        configured=lambda t: bool(t.databases),
        build=_built_by("bloat_pane", "BloatPane"),
    ),
    PaneSpec(
        id="backups",
        title="Backups",
        key="4",
        section="backups",
        what="no backup store",
        example="""
[[targets.NAME.backups]]
name = "s3"
kind = "s3"
bucket = "backups"
rpo = "24h"
""",
        configured=lambda t: bool(t.backups),
        build=_built_by("backups_pane", "BackupsPane"),
    ),
    PaneSpec(
        id="secrets",
        title="Secrets",
        key="5",
        section="certificates",
        what="no certificates or secrets inventory",
        example="""
[[targets.NAME.certificates]]
name = "api"
host = "api.example.com"
port = 443

[[targets.NAME.secrets]]
name = "payments-api-key"
lives_in = "payment provider"
policy_days = 90
""",
        configured=lambda t: bool(
            t.certificates or t.secrets or t.databases
        ),  # databases: login roles' expiry
        build=_built_by("secrets_pane", "SecretsPane"),
    ),
    PaneSpec(
        id="checklists",
        title="Checklists",
        key="6",
        section="maintenance_windows",
        what="",
        example="",
        configured=lambda t: True,  # the built-in runbooks need no config
        # Deferred too: when you hold an unfinished run (a dropped SSH session), the app builds it
        # at start, unseen, and it reopens the run (CockpitApp._reopen_unfinished_run).
        build=_built_by("checklists_pane", "ChecklistsPane"),
    ),
)
