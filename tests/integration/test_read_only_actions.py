"""Every registered action, reached by an observer, is refused and changes nothing.

The walk in tests/ui/test_actions.py presses every key of every screen; this one goes through the
registry of actions by name (what checklist steps and panes build), so an action added there is
walked here without anyone remembering to: the loop is over ``ACTIONS``, not a list of ours.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from cockpit.backups.inventory import inventory
from cockpit.checklists.actions import ACTIONS, ActionEnv, build_action
from cockpit.config import load_config
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionRefused
from cockpit.guard import Confirmation, Guard
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore

PARAMS: dict[str, dict[str, Any]] = {  # what each needs to be built on the sandbox
    "vacuum_analyze": {"table": "public.audit_log"},
    "analyze": {"table": "public.audit_log"},
    "vacuum_full": {"table": "public.audit_log"},
    "reindex_table": {"table": "public.audit_log"},
    "backup_run": {"store": "folder"},
    "backup_verify": {"store": "folder"},
    "backup_export": {"store": "s3"},
    "archive": {},
}


def fingerprint(sandbox: Sandbox) -> tuple[Any, ...]:
    """What any of these actions would change: rows, vacuums/analyzes, relation files, sessions."""
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, vacuum_count, analyze_count,"
            " pg_relation_filenode(relid) FROM pg_stat_user_tables ORDER BY relname"
        ).fetchall()
        databases = conn.execute("SELECT datname FROM pg_database ORDER BY 1").fetchall()
    return tuple(tables), tuple(databases)


def test_every_registered_action_is_refused_for_an_observer(sandbox: Sandbox, store: StateStore) -> None:
    assert set(PARAMS) == set(ACTIONS), "a new action: give it its parameters here, and it is walked"
    config = load_config(sandbox.config_path)
    name, target = config.target(None)
    folder = next(s for s in target.backups if s.name == "folder")
    writable = ActionEnv(target, SessionPolicy.from_settings(config.settings, read_only=False))
    if not inventory(folder).backups:  # verify needs a backup to be offered at all
        backup = build_action("backup_run", writable, PARAMS["backup_run"])
        Guard(target=name, store=store, read_only=False).run(backup.request, Confirmation(True), backup.run)
    stores_before = {s.name: inventory(s).objects for s in target.backups}
    before = fingerprint(sandbox)
    audited = len(store.audit_records(limit=1000))

    observer = Guard(target=name, store=store, read_only=True)
    env = ActionEnv(target, SessionPolicy.from_settings(config.settings, read_only=True))
    for action in sorted(ACTIONS):
        step = build_action(action, env, PARAMS[action])
        with pytest.raises(ActionRefused, match="^read-only mode: "):
            observer.run(step.request, Confirmation(confirmed=True, typed=name), step.run)

    assert fingerprint(sandbox) == before
    assert {s.name: inventory(s).objects for s in target.backups} == stores_before
    records = store.audit_records(limit=1000)[: len(store.audit_records(limit=1000)) - audited]
    assert len(records) == len(ACTIONS) and {r.result for r in records} == {"refused"}
