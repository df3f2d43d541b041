"""Every cockpit session carries its name, its timeouts, and (for observers) read-only."""

from __future__ import annotations

import pytest

from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy, connect
from cockpit.errors import CockpitError
from cockpit.sandbox.manager import Sandbox


def database(sandbox: Sandbox) -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn())


def test_session_policy_reaches_the_server(sandbox: Sandbox) -> None:
    policy = SessionPolicy(statement_timeout_ms=1234, lock_timeout_ms=567)
    with connect(database(sandbox), policy) as conn:
        row = conn.execute(
            "SELECT current_setting('application_name'), current_setting('statement_timeout'),"
            " current_setting('lock_timeout'), current_setting('default_transaction_read_only'),"
            " current_setting('jit')"
        ).fetchone()
    assert row == ("ops-cockpit", "1234ms", "567ms", "off", "off")


def test_read_only_sessions_cannot_write(sandbox: Sandbox) -> None:
    import psycopg

    with connect(database(sandbox), SessionPolicy(read_only=True)) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE feature_flags SET enabled = NOT enabled")


def test_statement_timeout_stops_a_runaway_query(sandbox: Sandbox) -> None:
    import psycopg

    with (
        connect(database(sandbox), SessionPolicy(statement_timeout_ms=100)) as conn,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        conn.execute("SELECT pg_sleep(2)")


def test_unreachable_database_is_one_line(sandbox: Sandbox) -> None:
    from cockpit.sandbox.processes import free_port

    dead = Database(name="gone", dsn=f"postgresql://postgres@127.0.0.1:{free_port()}/app")
    with pytest.raises(CockpitError) as caught:
        connect(dead, SessionPolicy(connect_timeout_s=2))
    assert str(caught.value).startswith("database gone: ")
    assert "\n" not in str(caught.value)


def test_the_sandbox_leaves_real_signals(sandbox: Sandbox) -> None:
    with connect(database(sandbox), SessionPolicy()) as conn:
        dead = conn.execute(
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'user_feedback'"
        ).fetchone()
        assert dead is not None and dead[0] > 1000
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        assert {"pg_stat_statements", "pgstattuple"} <= extensions
        valid_until = conn.execute(
            "SELECT rolvaliduntil - now() FROM pg_roles WHERE rolname = 'reporting'"
        ).fetchone()
        assert valid_until is not None and 3 <= valid_until[0].days <= 4
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {
            "sessions",
            "profiles",
            "user_feedback",
            "audit_log",
            "audit_log_archive",
            "conversations",
            "messages",
            "feature_flags",
        } <= tables
        import time

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            idle = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
            ).fetchone()
            if idle and idle[0] >= 1:
                break
            time.sleep(0.2)
        assert idle is not None and idle[0] >= 1
