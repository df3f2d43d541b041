"""What a maintenance action asks to confirm, for one relation and for every table."""

from __future__ import annotations

import pytest

from cockpit.actions.maintenance import EVERY_TABLE, Kind, Relation, maintenance_request, run_maintenance
from cockpit.actor import Actor
from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, CancelToken

APP = Database(name="app", dsn="postgresql://cockpit@db.invalid/app")


def test_a_relation_is_named_schema_dot_name_and_every_table_in_words() -> None:
    one = maintenance_request("vacuum_analyze", Relation("public", "audit_log"), APP)
    every = maintenance_request("vacuum_analyze", EVERY_TABLE, APP)
    assert (one.summary, one.params["relation"]) == (
        "VACUUM (ANALYZE) public.audit_log on app",
        "public.audit_log",
    )
    assert (every.summary, every.params["relation"]) == ("VACUUM (ANALYZE) every table on app", "every table")
    assert Relation("s", "i", kind="index", index_of="t").table == '"s"."t"'  # its table, for the lock


def test_vacuum_full_lists_its_lock_and_disk_for_a_relation_only() -> None:
    table = Relation("public", "audit_log", size_bytes=3 * 1024**3, index_bytes=1024**3)
    assert any("ACCESS EXCLUSIVE" in line for line in maintenance_request("vacuum_full", table, APP).details)
    assert maintenance_request("vacuum_full", EVERY_TABLE, APP).details == ()  # only asked whether offered


@pytest.mark.parametrize("kind", ["vacuum_full", "reindex_table", "reindex_index"])
def test_only_vacuum_and_analyze_take_every_table(kind: Kind) -> None:
    request = maintenance_request("vacuum_analyze", EVERY_TABLE, APP)
    context = ActionContext(request, "prod", Actor.current(), CancelToken())
    with pytest.raises(CockpitError, match="runs on one relation at a time"):
        run_maintenance(context, kind, EVERY_TABLE, APP, SessionPolicy())
