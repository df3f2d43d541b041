"""The panes' guarded actions a checklist step may run, by name, with the step's parameters.

Each builder turns a step's ``params`` into the same ActionRequest and function the pane would
use, so a step's action goes through the same guard (read-only, protected, maintenance window),
confirmation and audit as pressing the pane's key. Builders may read the database or a store
(an archive counts its rows first): call them in a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cockpit.config import BackupStore, Database, Target
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest


@dataclass(frozen=True, slots=True)
class StepAction:
    request: ActionRequest
    run: Callable[[ActionContext], object]


@dataclass(frozen=True, slots=True)
class ActionEnv:
    """What a builder needs: the target's config and the session policy for writes."""

    target: Target
    policy: SessionPolicy


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def pick(entries: Sequence[_N], wanted: str | None, what: str) -> _N:
    """The entry called ``wanted`` (the first when None); a CockpitError lists the configured ones."""
    for entry in entries:
        if wanted in (None, entry.name):
            return entry
    known = ", ".join(e.name for e in entries) or "none"
    raise CockpitError(f"no {what} {wanted!r} on this target (configured: {known})")


def _database(env: ActionEnv, params: dict[str, Any]) -> Database:
    return pick(env.target.databases, params.get("database"), "database")


def _store(env: ActionEnv, params: dict[str, Any]) -> BackupStore:
    return pick(env.target.backups, params.get("store"), "backup store")


def _maintenance(kind: str) -> Callable[[ActionEnv, dict[str, Any]], StepAction]:
    def build(env: ActionEnv, params: dict[str, Any]) -> StepAction:
        from cockpit.actions.maintenance import Relation, maintenance_request, run_maintenance

        table = str(params.get("table") or "")
        schema, _, name = table.rpartition(".")
        if not name:
            raise CockpitError(f'{kind} needs params.table (schema.table), e.g. table = "public.audit_log"')
        relation = Relation(schema or "public", name)
        database = _database(env, params)
        return StepAction(
            maintenance_request(kind, relation, database),  # type: ignore[arg-type]
            lambda ctx: run_maintenance(ctx, kind, relation, database, env.policy),  # type: ignore[arg-type]
        )

    return build


def _backup_run(env: ActionEnv, params: dict[str, Any]) -> StepAction:
    from cockpit.backups.run import backup_request, run_backup, store_database

    store = _store(env, params)
    database = store_database(store, list(env.target.databases))
    return StepAction(
        backup_request(store, database), lambda ctx: run_backup(ctx, store, database, env.policy)
    )


def _backup_verify(env: ActionEnv, params: dict[str, Any]) -> StepAction:
    from cockpit.backups.inventory import inventory
    from cockpit.backups.run import store_database
    from cockpit.backups.verify import verify_backup, verify_request

    store = _store(env, params)
    database = store_database(store, list(env.target.databases))
    found = inventory(store, search=0)  # the newest is all it needs
    if found.error or not found.backups:
        raise CockpitError(found.error or f"store {store.name} holds no backup to verify")
    key = found.backups[0].key
    return StepAction(
        verify_request(store, key), lambda ctx: verify_backup(ctx, store, key, database, env.policy)
    )


def _backup_export(env: ActionEnv, params: dict[str, Any]) -> StepAction:
    from cockpit.backups.export import export_request, export_tables, run_export
    from cockpit.backups.run import store_database

    store = _store(env, params)
    database = store_database(store, list(env.target.databases))
    tables = export_tables(store, params.get("tables"))
    return StepAction(
        export_request(store, database, tables),
        lambda ctx: run_export(ctx, store, database, tables, env.policy),
    )


def _archive(env: ActionEnv, params: dict[str, Any]) -> StepAction:
    from cockpit.actions.archive import archive_database, plan_archive, run_archive

    rule = pick(env.target.archives, params.get("archive"), "archive")
    plan = plan_archive(rule, archive_database(rule, list(env.target.databases)), env.policy)
    return StepAction(plan.request(), lambda ctx: run_archive(ctx, plan, env.policy))


ACTIONS: dict[str, Callable[[ActionEnv, dict[str, Any]], StepAction]] = {
    "vacuum_analyze": _maintenance("vacuum_analyze"),
    "analyze": _maintenance("analyze"),
    "vacuum_full": _maintenance("vacuum_full"),
    "reindex_table": _maintenance("reindex_table"),
    "backup_run": _backup_run,
    "backup_verify": _backup_verify,
    "backup_export": _backup_export,
    "archive": _archive,
}
ACTION_NAMES = frozenset(ACTIONS)


def build_action(name: str, env: ActionEnv, params: dict[str, Any]) -> StepAction:
    if name not in ACTIONS:
        raise CockpitError(f"unknown action {name!r} (known: {', '.join(sorted(ACTIONS))})")
    return ACTIONS[name](env, params)
