"""VACUUM, ANALYZE, VACUUM FULL and REINDEX CONCURRENTLY: the Bloat pane's guarded actions.

Each runs on a session of its own with the configured ``lock_timeout`` (so it never queues behind
a long lock and stalls the application queued behind it) and no statement timeout (a VACUUM may
rightly take hours). While it runs, a second session reads its row in pg_stat_progress_* every
half second: phase, blocks done of total, an ETA. Cancel sends a server-side cancel. On a lock
timeout the error names the sessions holding the table. Sizes and dead tuples before and after
go into the audit record.

Who may: the table's owner or a member of the owner role (PostgreSQL 17+: also the MAINTAIN
privilege, or pg_maintain). VACUUM and ANALYZE of a table the role may not maintain only warn
and skip it, which would read as a success: the privilege is checked first, and a refusal says
the GRANT to run. "VACUUM every table" says how many tables it had to skip, and the GRANT.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cockpit.db import sql
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import ActionCancelled, CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.lock_holders import lock_holders
from cockpit.probes.queries import short
from cockpit.units import format_duration, format_size

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Database

Kind = Literal["vacuum_analyze", "analyze", "vacuum_full", "reindex_index", "reindex_table"]
STATEMENTS: dict[Kind, str] = {
    "vacuum_analyze": "VACUUM (ANALYZE, VERBOSE false) {}",
    "analyze": "ANALYZE {}",
    "vacuum_full": "VACUUM (FULL, ANALYZE) {}",
    "reindex_index": "REINDEX INDEX CONCURRENTLY {}",
    "reindex_table": "REINDEX TABLE CONCURRENTLY {}",
}
TITLES: dict[Kind, str] = {
    "vacuum_analyze": "VACUUM (ANALYZE)",
    "analyze": "ANALYZE",
    "vacuum_full": "VACUUM FULL",
    "reindex_index": "REINDEX INDEX CONCURRENTLY",
    "reindex_table": "REINDEX TABLE CONCURRENTLY",
}
# The lock each statement takes on its table.
_LOCK_TAKEN: dict[Kind, str] = {
    "vacuum_analyze": "ShareUpdateExclusiveLock",
    "analyze": "ShareUpdateExclusiveLock",
    "vacuum_full": "AccessExclusiveLock",
    "reindex_index": "ShareUpdateExclusiveLock",
    "reindex_table": "ShareUpdateExclusiveLock",
}


@dataclass(frozen=True, slots=True)
class Relation:
    """The table or index an action is for: schema and name kept apart, so quoting is never guessed."""

    schema: str
    name: str
    kind: Literal["table", "index"] = "table"
    index_of: str = ""  # for an index: its table's name (same schema)
    size_bytes: int | None = None
    index_bytes: int | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def table(self) -> str:
        """The table, quoted for a regclass cast (the index's table for an index)."""
        return _quoted(self.schema, self.index_of if self.kind == "index" else self.name)

    @property
    def quoted(self) -> str:
        """The relation itself, quoted for a regclass cast."""
        return _quoted(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class EveryTable:
    """Every table of the database: VACUUM or ANALYZE given no relation (the runbooks' weekly
    cleanup). Only those two take it; the others run on one Relation at a time."""

    @property
    def qualified(self) -> str:
        return "every table"


EVERY_TABLE = EveryTable()


def maintenance_request(kind: Kind, target: Relation | EveryTable, database: Database) -> ActionRequest:
    """What the operator confirms: for VACUUM FULL, the lock it takes and the disk it needs."""
    details: tuple[str, ...] = ()
    if kind == "vacuum_full" and isinstance(target, Relation):
        need = (target.size_bytes or 0) + (target.index_bytes or 0)
        details = (
            "takes an ACCESS EXCLUSIVE lock: every read and write of the table waits until it ends",
            f"rewrites the table and its indexes: needs up to {format_size(need)} of free disk",
            f"table now {format_size(target.size_bytes)}, indexes {format_size(target.index_bytes)}",
        )
    return ActionRequest(
        action=f"bloat.{kind}",
        summary=f"{TITLES[kind]} {target.qualified} on {database.name}",
        params={"database": database.name, "relation": target.qualified},
        details=details,
        button=f"{TITLES[kind]} {target.qualified}",
    )


def _figures(conn: psycopg.Connection[Any], target: Relation | EveryTable) -> tuple[int, int]:
    """The table's (or the database's) total size and dead tuples."""
    if isinstance(target, EveryTable):
        row = conn.execute(sql.load("read_database_figures.sql")).fetchone()
    else:
        row = conn.execute(sql.load("read_table_figures.sql"), {"relation": target.table}).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _grant_to_maintain(conn: psycopg.Connection[Any], owner: str, table: str | None) -> str:
    """The GRANT that lets this session's role maintain ``table`` (None: the owner's tables)."""
    user = conn.info.user
    if conn.info.server_version >= 170000:
        on = f"MAINTAIN ON TABLE {table}" if table else "pg_maintain"
        return f"GRANT {on} TO {user} (or GRANT {owner} TO {user}: the owner's privileges)"
    return f"GRANT {owner} TO {user} (the owner's privileges: only owners may VACUUM, ANALYZE or REINDEX)"


def _check_privilege(conn: psycopg.Connection[Any], kind: Kind, target: Relation | EveryTable) -> str:
    """Refuse a relation this role may not maintain (with the GRANT); for every table, a note
    of how many it will skip (empty if none)."""
    # The MAINTAIN privilege exists from PostgreSQL 17: each statement has a file per side.
    if conn.info.server_version >= 170000:
        every, one = "count_unmaintainable_tables_17.sql", "read_table_maintainer_17.sql"
    else:
        every, one = "count_unmaintainable_tables.sql", "read_table_maintainer.sql"
    if isinstance(target, EveryTable):
        row = conn.execute(sql.load(every)).fetchone()
        if not row or not row[0]:
            return ""
        return f"skipped {row[0]} tables this role may not maintain: {_grant_to_maintain(conn, row[1], None)}"
    row = conn.execute(sql.load(one), {"relation": target.table}).fetchone()
    if row is not None and not row[0]:
        table = target.table if target.kind == "index" else target.quoted
        raise CockpitError(
            f"{TITLES[kind]} {target.qualified}: {conn.info.user} may not maintain a table owned by "
            f"{row[1]}: {_grant_to_maintain(conn, row[1], table)}"
        )
    return ""


def _quoted(schema: str, name: str) -> str:
    return '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'


def run_maintenance(
    context: ActionContext,
    kind: Kind,
    target: Relation | EveryTable,
    database: Database,
    policy: SessionPolicy,
    *,
    poll_s: float = 0.5,
) -> str:
    """Run the statement with live progress; return (and audit) the before/after figures."""
    from psycopg import sql as pgsql

    if isinstance(target, EveryTable):
        if kind not in ("vacuum_analyze", "analyze"):
            raise CockpitError(f"{TITLES[kind]} runs on one relation at a time: select one")
        relation: pgsql.Composable = pgsql.SQL("")
    else:
        relation = pgsql.Identifier(target.schema, target.name)
    statement = pgsql.SQL(STATEMENTS[kind]).format(relation)
    started = time.monotonic()
    work = connect(database, policy)
    watch = connect(database, policy)
    try:
        work.execute("SET statement_timeout = 0")  # a VACUUM may rightly take hours; cancel is the way
        skipped = _check_privilege(watch, kind, target)
        before = _figures(watch, target)
        error = _run_watched(context, work, watch, statement, poll_s=poll_s)
        if error is not None:
            if kind.startswith("reindex") and isinstance(target, Relation):
                _drop_leftovers(watch, target)
            raise _explained(error, kind, target, watch, policy=policy, database=database)
        _flush_statistics(work)
        after = _figures(watch, target)
    finally:
        work.close()
        watch.close()
    detail = (
        f"{target.qualified}: {format_size(before[0])} -> {format_size(after[0])}, "
        f"dead tuples {before[1]:,} -> {after[1]:,}, {time.monotonic() - started:.1f}s"
    )
    if skipped:  # (then the skipped tables' dead tuples are why some are left)
        detail += f"; {skipped}"
    elif kind.startswith("vacuum") and after[1] and after[1] >= before[1] // 2:
        detail += f"; {kept_because(database, policy)}"
    context.result_detail = detail
    return detail


def _run_watched(
    context: ActionContext,
    work: psycopg.Connection[Any],
    watch: psycopg.Connection[Any],
    statement: Any,
    *,
    poll_s: float,
) -> BaseException | None:
    """Run ``statement`` on ``work`` in a thread while ``watch`` reports its progress; the error."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            work.execute(statement)
            outcome.append(None)
        except BaseException as exc:  # handed to the action's thread, which reports it
            outcome.append(exc)

    runner = threading.Thread(target=run, name="maintenance", daemon=True)
    runner.start()
    try:
        _watch_progress(context, watch, work.info.backend_pid, runner, poll_s=poll_s)
    except ActionCancelled:
        work.cancel_safe()
        runner.join()
        raise
    return outcome[0] if outcome else None


def _explained(
    error: BaseException,
    kind: Kind,
    target: Relation | EveryTable,
    watch: psycopg.Connection[Any],
    *,
    policy: SessionPolicy,
    database: Database,
) -> BaseException:
    """The error as the operator should read it: a lock timeout names who holds the table."""
    import psycopg

    if isinstance(error, psycopg.errors.LockNotAvailable):
        holders = (
            lock_holders(watch, target.table, _LOCK_TAKEN[kind])
            if isinstance(target, Relation)
            else "a session holding one of its tables"
        )
        return CockpitError(
            f"{TITLES[kind]} {target.qualified} gave up after lock_timeout "
            f"({policy.lock_timeout_ms} ms) instead of queueing: held by {holders}"
        )
    if isinstance(error, psycopg.errors.QueryCanceled):
        return ActionCancelled(f"{TITLES[kind]} {target.qualified} cancelled on the server")
    if isinstance(error, psycopg.Error):
        return CockpitError(describe_error(database, error))
    return error


def kept_because(database: Database, policy: SessionPolicy) -> str:
    """Why VACUUM left dead tuples: the session whose snapshot is oldest holds them visible."""
    with connect(database, policy) as conn:
        row = conn.execute(sql.load("read_oldest_snapshot_holder.sql")).fetchone()
    if row is None:
        return "dead tuples kept: no session holds them (a replication slot or prepared transaction may)"
    pid, user, state, age, query = row
    held = "?" if age is None else format_duration(age)
    return (
        f"dead tuples kept: pid {pid} ({user}, {state}, transaction open {held}) holds the oldest "
        f"transaction: {short(query or '', 40)}"
    )


def _flush_statistics(conn: psycopg.Connection[Any]) -> None:
    """Backends publish their statistics at most once a second (PostgreSQL 15+): ask for it now,
    so the "after" figures are the VACUUM's, not the ones before it."""
    import psycopg

    try:
        conn.execute(sql.load("flush_statistics.sql"))
    except psycopg.errors.UndefinedFunction:  # before 15, statistics went through the collector
        time.sleep(0.5)


def _drop_leftovers(conn: psycopg.Connection[Any], target: Relation) -> None:
    """A failed REINDEX CONCURRENTLY leaves invalid ``*_ccnew`` indexes behind: drop them."""
    from psycopg import sql as pgsql

    rows = conn.execute(sql.load("read_leftover_indexes.sql"), {"table": target.table}).fetchall()
    for schema, name in rows:
        conn.execute(pgsql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(pgsql.Identifier(schema, name)))


def _watch_progress(
    context: ActionContext,
    watch: psycopg.Connection[Any],
    pid: int,
    runner: threading.Thread,
    *,
    poll_s: float,
) -> None:
    """Report pg_stat_progress_* for ``pid`` until the runner thread ends."""
    report = context.progress
    started = time.monotonic()
    while runner.is_alive():
        runner.join(poll_s)
        if not runner.is_alive():
            break
        row = watch.execute(sql.load("read_maintenance_progress.sql"), {"pid": pid}).fetchone()
        if row is None:
            report(f"waiting ({time.monotonic() - started:.0f}s)", None)
            continue
        phase, done, total = row[0], int(row[1] or 0), int(row[2] or 0)
        fraction = done / total if total else None
        eta = ""
        if fraction and fraction > 0.02:
            elapsed = time.monotonic() - started
            eta = f", about {elapsed / fraction - elapsed:.0f}s left"
        blocks = f" {done:,}/{total:,} blocks" if total else ""
        report(f"{phase}{blocks}{eta}", fraction)
