"""EXPLAIN a statement from pg_stat_statements: a generic plan, a plan for typed values, or ANALYZE.

pg_stat_statements keeps statements normalised (``WHERE id = $1``), so a plain ``EXPLAIN`` of the
text fails. The statement is PREPAREd instead and explained through ``EXPLAIN EXECUTE``: with
``plan_cache_mode = force_generic_plan`` and NULLs for a generic plan (one way for PostgreSQL 12
and later, where 16's ``GENERIC_PLAN`` option would need a second path), or with the values the
operator typed. Everything runs in one transaction on a connection of its own that is always
rolled back and closed, with its own ``statement_timeout``: an ANALYZE really runs the statement,
and its changes (not its sequence increments) are undone. A text holding more than one statement
is refused before anything is sent.
"""

from __future__ import annotations

import csv
import re
from typing import TYPE_CHECKING, Any

from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.config import Database
    from cockpit.guard import ActionContext

_TOKEN = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')
    | (?P<ident>"(?:[^"]|"")*")
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*|)\$.*?\$(?P=tag)\$)
    | (?P<param>\$(?P<number>\d+))
    | (?P<semicolon>;)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.S | re.X,
)
PREPARED_NAME = "ops_cockpit_explain"


class ExplainRefused(CockpitError):
    """The text cannot be explained as it is; the message says why and what to do."""


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(text)]


def single_statement(text: str) -> str:
    """The text without a trailing semicolon; refuse more than one statement."""
    tokens = _tokens(text)
    meaningful = [i for i, (kind, _) in enumerate(tokens) if kind not in ("comment", "space")]
    if not meaningful:
        raise ExplainRefused("the statement text is empty (pg_stat_statements kept no text for it)")
    semicolons = [i for i in meaningful if tokens[i][0] == "semicolon"]
    last = meaningful[-1]
    if any(i != last for i in semicolons):
        raise ExplainRefused("the text holds more than one statement: EXPLAIN takes one at a time")
    end = last if tokens[last][0] == "semicolon" else last + 1
    return "".join(value for _, value in tokens[:end]).strip()


def parameter_count(text: str) -> int:
    """The highest ``$n`` outside strings, identifiers and comments."""
    numbers = [int(value[1:]) for kind, value in _tokens(text) if kind == "param"]
    return max(numbers, default=0)


def parse_values(line: str, count: int) -> tuple[str | None, ...]:
    """Comma-separated values for $1..$n (quote a value holding a comma; NULL for null)."""
    fields = next(csv.reader([line], skipinitialspace=True), []) if line.strip() else []
    if len(fields) != count:
        raise ExplainRefused(f"the statement takes {count} values ($1..${count}), {len(fields)} given")
    return tuple(None if field.upper() == "NULL" else field for field in fields)


def explain(
    database: Database,
    policy: SessionPolicy,
    text: str,
    *,
    values: tuple[str | None, ...] | None = None,
    analyze: bool = False,
    timeout_ms: int = 10_000,
    context: ActionContext | None = None,
) -> list[str]:
    """The plan's lines. ``values=None`` asks for a generic plan (refused with ANALYZE)."""
    import psycopg
    from psycopg import sql as pgsql

    statement = single_statement(text)
    count = parameter_count(statement)
    if analyze and count and values is None:
        raise ExplainRefused(f"ANALYZE runs the statement: type values for its {count} parameters first")
    if values is not None and len(values) != count:
        raise ExplainRefused(f"the statement takes {count} values, {len(values)} given")
    options = "ANALYZE, BUFFERS" if analyze else "COSTS"
    conn = connect(database, policy)
    try:
        if context is not None:
            context.cancel.on_cancel(conn.cancel_safe)
        with conn.transaction(force_rollback=True):
            conn.execute(pgsql.SQL("SET LOCAL statement_timeout = {}").format(pgsql.Literal(timeout_ms)))
            if not count:
                query: Any = pgsql.SQL(f"EXPLAIN ({options}) ") + pgsql.SQL(statement)
            else:
                if values is None:
                    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                conn.execute(pgsql.SQL(f"PREPARE {PREPARED_NAME} AS ") + pgsql.SQL(statement))
                arguments = values if values is not None else (None,) * count
                query = pgsql.SQL(f"EXPLAIN ({options}) EXECUTE {PREPARED_NAME} ({{}})").format(
                    pgsql.SQL(", ").join(pgsql.Literal(v) for v in arguments)
                )
            rows = conn.execute(query).fetchall()
            return [str(row[0]) for row in rows]
    except psycopg.errors.QueryCanceled:
        raise CockpitError(
            f"EXPLAIN stopped after its {timeout_ms} ms statement_timeout (or was cancelled); "
            "nothing it did was kept"
        ) from None
    except psycopg.Error as exc:
        raise CockpitError(describe_error(database, exc)) from None
    finally:
        conn.close()  # the prepared statement goes with the session
