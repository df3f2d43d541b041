"""The six panes: their tab, key, the config they need, and what builds them.

A pane issue replaces its ``build`` with its own screen; everything else (tabs, keys, palette,
"not configured" notices) follows from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from cockpit.config import Target
from screens.pane_env import PaneEnv


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
    # Built when first shown (its module imported then): only the pane on screen and the ones
    # that must watch from the start (health) hold back the first frame.
    deferred: bool = True


def _health(env: PaneEnv) -> Widget:
    from screens.health_pane import HealthPane

    return HealthPane(env, id="health-pane")


def _queries(env: PaneEnv) -> Widget:
    from screens.queries_pane import QueriesPane

    return QueriesPane(env, id="queries-pane")


def _bloat(env: PaneEnv) -> Widget:
    from screens.bloat_pane import BloatPane

    return BloatPane(env, id="bloat-pane")


def _backups(env: PaneEnv) -> Widget:
    from screens.backups_pane import BackupsPane

    return BackupsPane(env, id="backups-pane")


def _secrets(env: PaneEnv) -> Widget:
    from screens.secrets_pane import SecretsPane

    return SecretsPane(env, id="secrets-pane")


def _checklists(env: PaneEnv) -> Widget:
    from screens.checklists_pane import ChecklistsPane

    return ChecklistsPane(env, id="checklists-pane")


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
        _health,
        False,
    ),
    PaneSpec(
        "queries",
        "Queries",
        "2",
        "databases",
        "no database to read statements from",
        DATABASE_EXAMPLE,
        lambda t: bool(t.databases),
        _queries,
    ),
    PaneSpec(
        "bloat",
        "Bloat",
        "3",
        "databases",
        "no database to estimate bloat in",
        DATABASE_EXAMPLE,
        lambda t: bool(t.databases),
        _bloat,
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
        _backups,
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
        _secrets,
    ),
    PaneSpec(
        "checklists",
        "Checklists",
        "6",
        "maintenance_windows",
        "",
        "",
        lambda t: True,  # the built-in runbooks need no config
        _checklists,
        False,  # reopens the run you hold at start, whatever the pane (a dropped SSH session)
    ),
)
