"""EXPLAIN on the real sandbox: generic plans of normalised texts, typed values, ANALYZE rolled back."""

from __future__ import annotations

import psycopg
import pytest

from cockpit.actions.explain import ExplainRefused, explain
from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import CockpitError
from cockpit.sandbox.manager import Sandbox

OBSERVER = SessionPolicy(read_only=True)


def app_db(sandbox: Sandbox) -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn())


def test_a_generic_plan_for_a_normalised_text(sandbox: Sandbox) -> None:
    plan = explain(app_db(sandbox), OBSERVER, "SELECT * FROM profiles WHERE id = $1")
    assert "Index Scan using profiles_pkey" in "\n".join(plan)
    assert "$1" in "\n".join(plan)  # generic: the parameter stays a parameter


def test_typed_values_and_a_read_only_session_for_a_plain_explain(sandbox: Sandbox) -> None:
    plan = explain(
        app_db(sandbox),
        OBSERVER,
        "UPDATE feature_flags SET enabled = $1 WHERE name = $2",
        values=("true", "x"),
    )
    assert plan[0].startswith("Update on feature_flags")
    assert "'x'::text" in "\n".join(plan)


def test_analyze_runs_the_statement_and_rolls_it_back(sandbox: Sandbox) -> None:
    db = app_db(sandbox)
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM audit_log_archive").fetchone()
        plan = explain(
            db,
            SessionPolicy(),
            "INSERT INTO audit_log_archive SELECT * FROM audit_log WHERE id <= $1",
            values=("50",),
            analyze=True,
        )
        after = conn.execute("SELECT count(*) FROM audit_log_archive").fetchone()
    text = "\n".join(plan)
    assert "actual time=" in text and "Buffers:" in text
    assert after == before  # the 50 rows it inserted were rolled back


def test_analyze_has_its_own_timeout(sandbox: Sandbox) -> None:
    with pytest.raises(CockpitError, match="300 ms statement_timeout"):
        explain(
            app_db(sandbox),
            SessionPolicy(),
            "SELECT pg_sleep($1)",
            values=("5",),
            analyze=True,
            timeout_ms=300,
        )


def test_refusals_before_anything_is_sent(sandbox: Sandbox) -> None:
    with pytest.raises(ExplainRefused, match="more than one statement"):
        explain(app_db(sandbox), OBSERVER, "SELECT 1; DELETE FROM profiles")
    with pytest.raises(ExplainRefused, match="type values for its 1 parameters"):
        explain(app_db(sandbox), SessionPolicy(), "SELECT pg_sleep($1)", analyze=True)


def test_a_server_error_is_one_line(sandbox: Sandbox) -> None:
    with pytest.raises(CockpitError) as error:
        explain(app_db(sandbox), OBSERVER, "SELECT * FROM no_such_table WHERE id = $1")
    assert str(error.value) == 'database app: relation "no_such_table" does not exist'
