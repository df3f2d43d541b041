"""The runbooks' audit-log archive, made safe: count first, then move rows in small transactions.

The runbook pastes one INSERT ... SELECT and one DELETE: a single transaction that holds row
locks on every old row for the whole run, bloats the table in one go and, if the session drops
between the two statements, copies without deleting. Here each batch is one statement
(``DELETE ... RETURNING`` feeding the ``INSERT``) in its own transaction: a batch is moved whole
or not at all, a cancel or a killed process keeps the batches already done, and running the
archive again simply continues with the rows still due. Rows locked by the application are
skipped (``SKIP LOCKED``) rather than waited for; the next run takes them.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.db.sessions import SessionPolicy, connect, describe_error
from cockpit.errors import ActionCancelled, CockpitError
from cockpit.guard import ActionContext, ActionRequest, CancelToken

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Archive, Database

# A batch or the count may take longer than a monitor's 5 s statement timeout; never unbounded.
BATCH_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class ArchivePlan:
    """What an archive run will do, counted before the operator confirms."""

    rule: Archive
    database: Database
    cutoff: datetime
    rows_due: int
    oldest: datetime | None
    columns: tuple[str, ...]

    @property
    def batches(self) -> int:
        return -(-self.rows_due // self.rule.batch_rows)

    def request(self) -> ActionRequest:
        rule = self.rule
        oldest = self.oldest.date().isoformat() if self.oldest else "none"
        return ActionRequest(
            action="bloat.archive",
            summary=(
                f"Archive {self.rows_due:,} rows of {rule.table} older than {rule.older_than} "
                f"into {rule.archive_table} on {self.database.name}"
            ),
            params={
                "database": self.database.name,
                "table": rule.table,
                "archive_table": rule.archive_table,
                "cutoff": self.cutoff.isoformat(timespec="seconds"),
                "rows_due": self.rows_due,
            },
            details=(
                f"{self.rows_due:,} rows with {rule.column} before "
                f"{self.cutoff.isoformat(timespec='minutes')} (oldest {oldest})",
                f"{self.batches:,} batches of up to {rule.batch_rows:,} rows, each its own transaction",
                "a cancel or a crash keeps the batches done: run the archive again to continue",
            ),
            button=f"Archive {self.rows_due:,} rows",
        )


def _split(qualified: str) -> tuple[str, str]:
    schema, _, name = qualified.rpartition(".")
    return schema or "public", name


def _identifier(qualified: str) -> Any:
    from psycopg import sql as pgsql

    return pgsql.Identifier(*_split(qualified))


def archive_database(rule: Archive, databases: list[Database]) -> Database:
    """The database the rule names, else the target's first one."""
    if not databases:
        raise CockpitError("the target has no database: add [[targets.NAME.databases]]")
    if rule.database is None:
        return databases[0]
    for database in databases:
        if database.name == rule.database:
            return database
    names = ", ".join(d.name for d in databases)
    raise CockpitError(f"archive {rule.name!r}: no database {rule.database!r} (configured: {names})")


def _columns(conn: psycopg.Connection[Any], qualified: str) -> list[str]:
    """Insertable columns in order (generated columns are computed by the archive itself)."""
    schema, name = _split(qualified)
    rows = conn.execute(sql.load("read_insertable_columns.sql"), {"schema": schema, "name": name}).fetchall()
    return [row[0] for row in rows]


def plan_archive(rule: Archive, database: Database, policy: SessionPolicy) -> ArchivePlan:
    """Check both tables and count the rows due: what the operator confirms."""
    import psycopg
    from psycopg import sql as pgsql

    cutoff = datetime.now(UTC) - rule.older_than
    with connect(database, policy) as conn:
        source = _columns(conn, rule.table)
        if not source:
            raise CockpitError(f"archive {rule.name!r}: no table {rule.table} in {database.name}")
        archive = set(_columns(conn, rule.archive_table))
        if not archive:
            raise CockpitError(
                f"archive {rule.name!r}: no table {rule.archive_table} in {database.name}: create it with "
                f"CREATE TABLE {rule.archive_table} (LIKE {rule.table} INCLUDING ALL)"
            )
        if rule.column not in source:
            raise CockpitError(f"archive {rule.name!r}: {rule.table} has no column {rule.column!r}")
        missing = [c for c in source if c not in archive]
        if missing:
            raise CockpitError(
                f"archive {rule.name!r}: {rule.archive_table} lacks column(s) {', '.join(missing)} of "
                f"{rule.table}: add them (ALTER TABLE {rule.archive_table} ADD COLUMN ...)"
            )
        count = pgsql.SQL("SELECT count(*), min({col}) FROM {table} WHERE {col} < %s").format(
            col=pgsql.Identifier(rule.column), table=_identifier(rule.table)
        )
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {BATCH_TIMEOUT_MS}")
                row = conn.execute(count, (cutoff,)).fetchone()
        except psycopg.Error as exc:
            raise CockpitError(describe_error(database, exc)) from None
    rows_due, oldest = (int(row[0]), row[1]) if row else (0, None)
    return ArchivePlan(rule, database, cutoff, rows_due, oldest, tuple(source))


def run_archive(context: ActionContext, plan: ArchivePlan, policy: SessionPolicy) -> str:
    """Move the planned rows batch by batch; return (and audit) what moved."""
    rule = plan.rule
    statement = _batch_statement(plan)
    moved = 0
    started = time.monotonic()
    conn = connect(plan.database, policy)
    context.cancel.on_cancel(lambda: _cancel_quietly(conn))
    try:
        while True:
            context.cancel.raise_if_cancelled()
            batch = _one_batch(conn, statement, plan, moved=moved, policy=policy, cancel=context.cancel)
            moved += batch
            if batch < rule.batch_rows:
                break
            elapsed = time.monotonic() - started
            fraction = min(moved / plan.rows_due, 1.0) if plan.rows_due else None
            eta = f", about {elapsed / fraction - elapsed:.0f}s left" if fraction else ""
            context.progress(f"archived {moved:,} of {plan.rows_due:,} rows{eta}", fraction)
    except ActionCancelled:
        raise ActionCancelled(_so_far(plan, moved, "cancelled")) from None
    finally:
        conn.close()
    detail = (
        f"{rule.table}: {moved:,} rows older than {plan.cutoff.date().isoformat()} moved to "
        f"{rule.archive_table} in {time.monotonic() - started:.1f}s"
    )
    context.result_detail = detail
    return detail


def _one_batch(
    conn: psycopg.Connection[Any],
    statement: Any,
    plan: ArchivePlan,
    *,
    moved: int,
    policy: SessionPolicy,
    cancel: CancelToken,
) -> int:
    """Move one batch in its own transaction; the rows moved."""
    import psycopg

    try:
        with conn.transaction():
            conn.execute(f"SET LOCAL statement_timeout = {BATCH_TIMEOUT_MS}")
            cursor = conn.execute(statement, {"cutoff": plan.cutoff, "batch": plan.rule.batch_rows})
            return max(cursor.rowcount, 0)
    except psycopg.errors.QueryCanceled:
        if cancel.cancelled:
            raise ActionCancelled("cancelled") from None
        why = f"a batch ran past {BATCH_TIMEOUT_MS // 1000}s"
        raise CockpitError(_so_far(plan, moved, why)) from None
    except psycopg.errors.LockNotAvailable:
        why = f"a table lock was not granted within lock_timeout ({policy.lock_timeout_ms} ms)"
        raise CockpitError(_so_far(plan, moved, why)) from None
    except psycopg.Error as exc:
        raise CockpitError(_so_far(plan, moved, describe_error(plan.database, exc))) from None


def _cancel_quietly(conn: psycopg.Connection[Any]) -> None:
    """Cancel the batch running now, if any (a cancel after the run ended has nothing to stop)."""
    if not conn.closed:
        with contextlib.suppress(Exception):
            conn.cancel_safe()


def _so_far(plan: ArchivePlan, moved: int, why: str) -> str:
    return (
        f"archive of {plan.rule.table} stopped ({why}) after {moved:,} of {plan.rows_due:,} rows: "
        "the batches done are kept, run it again to continue"
    )


def _batch_statement(plan: ArchivePlan) -> Any:
    """One batch: delete up to N due rows (skipping locked ones) and insert what was deleted."""
    from psycopg import sql as pgsql

    columns = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in plan.columns)
    return pgsql.SQL(sql.load("move_archive_batch.sql")).format(
        source=_identifier(plan.rule.table),
        archive=_identifier(plan.rule.archive_table),
        col=pgsql.Identifier(plan.rule.column),
        columns=columns,
    )
