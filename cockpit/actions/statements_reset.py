"""Reset pg_stat_statements: the guarded action behind the Queries pane's ``R`` key.

Resetting throws away every statement's history on the whole server (other teams' dashboards
included), so it is a confirmed, audited action; the audit record keeps how many statements
were discarded.
"""

from __future__ import annotations

from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest

ACTION = "queries.reset_statements"


def reset_request(database: Database) -> ActionRequest:
    return ActionRequest(
        ACTION,
        f"Reset pg_stat_statements on {database.name}'s server: every statement's numbers are lost",
        params={"database": database.name},
        button="Reset the statistics",
        keep="Keep them",
    )


def reset_statements(context: ActionContext, database: Database, policy: SessionPolicy, schema: str) -> int:
    """Call ``pg_stat_statements_reset()``; return how many statements were discarded."""
    import psycopg
    from psycopg import sql as pgsql

    context.progress("resetting pg_stat_statements")
    with connect(database, policy) as conn:
        table = pgsql.Identifier(schema, "pg_stat_statements")
        reset = pgsql.Identifier(schema, "pg_stat_statements_reset")
        try:
            row = conn.execute(pgsql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
            conn.execute(pgsql.SQL("SELECT {}()").format(reset))
        except psycopg.errors.InsufficientPrivilege:
            raise CockpitError(
                f"database {database.name}: no privilege to reset statistics: "
                f"GRANT EXECUTE ON FUNCTION {schema}.pg_stat_statements_reset TO {conn.info.user}"
            ) from None
        except psycopg.Error as exc:
            raise CockpitError(describe_error(database, exc)) from None
        discarded = int(row[0]) if row else 0
    context.result_detail = f"{discarded} statements discarded"
    return discarded
