"""The six panes: their tab, key, the config they need, and what builds them.

A pane issue replaces its ``build`` with its own screen; everything else (tabs, keys, palette,
"not configured" notices) follows from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from cockpit.config import Target
from screens.backups_pane import BackupsPane
from screens.bloat_pane import BloatPane
from screens.checklists_pane import ChecklistsPane
from screens.health_pane import HealthPane
from screens.pane_env import PaneEnv
from screens.queries_pane import QueriesPane
from screens.secrets_pane import SecretsPane


@dataclass(frozen=True, slots=True)
class PaneSpec:
    id: str
    title: str
    key: str
    section: str
    what: str
    example: str
    configured: Callable[[Target], bool]
    build: Callable[[PaneEnv], Widget]


DATABASE_EXAMPLE = """
[[targets.NAME.databases]]
name = "app"
dsn = "postgresql://cockpit@db.internal:5432/app"
password = "keyring:app-db"
"""


PANES: tuple[PaneSpec, ...] = (
    PaneSpec(
        "health",
        "Health",
        "1",
        "databases",
        "no databases or health endpoints to watch",
        DATABASE_EXAMPLE
        + """
[[targets.NAME.health]]
name = "api"
url = "https://api.example.com/api/monitoring/health"
""",
        lambda t: bool(t.databases or t.health),
        lambda env: HealthPane(env, id="health-pane"),
    ),
    PaneSpec(
        "queries",
        "Queries",
        "2",
        "databases",
        "no database to read statements from",
        DATABASE_EXAMPLE,
        lambda t: bool(t.databases),
        lambda env: QueriesPane(env, id="queries-pane"),
    ),
    PaneSpec(
        "bloat",
        "Bloat",
        "3",
        "databases",
        "no database to estimate bloat in",
        DATABASE_EXAMPLE,
        lambda t: bool(t.databases),
        lambda env: BloatPane(env, id="bloat-pane"),
    ),
    PaneSpec(
        "backups",
        "Backups",
        "4",
        "backups",
        "no backup store",
        """
[[targets.NAME.backups]]
name = "s3"
kind = "s3"
bucket = "backups"
rpo = "24h"
""",
        lambda t: bool(t.backups),
        lambda env: BackupsPane(env, id="backups-pane"),
    ),
    PaneSpec(
        "secrets",
        "Secrets",
        "5",
        "certificates",
        "no certificates or secrets inventory",
        """
[[targets.NAME.certificates]]
name = "api"
host = "api.example.com"
port = 443

[[targets.NAME.secrets]]
name = "payments-api-key"
lives_in = "payment provider"
policy_days = 90
""",
        lambda t: bool(t.certificates or t.secrets or t.databases),  # databases: login roles' expiry
        lambda env: SecretsPane(env, id="secrets-pane"),
    ),
    PaneSpec(
        "checklists",
        "Checklists",
        "6",
        "maintenance_windows",
        "",
        "",
        lambda t: True,  # the built-in runbooks need no config
        lambda env: ChecklistsPane(env, id="checklists-pane"),
    ),
)
