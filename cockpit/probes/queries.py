"""Slow queries: statements from pg_stat_statements, live sessions, and who blocks whom.

Statements are polled without their texts; each text is fetched once per queryid and cached.
Deltas are kept against the previous refresh and against an instant the operator marks. A
missing extension, a library that is not preloaded, or a missing privilege becomes guidance, not
a failure. ``judge`` gives the findings the pane and ``cockpit check --pane queries`` share.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.db.rows import fetch_sliced
from cockpit.model import Finding, Severity, measured
from cockpit.probes.postgres import STATEMENTS_HINT
from cockpit.redact import redact_sql
from cockpit.units import format_duration

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Thresholds

STATEMENT_LIMIT = 200
SORT_COLUMNS = ("total_exec_time", "mean_exec_time", "calls", "rows", "shared_blks_read", "temp_blks_written")
# Each sort order's figure on a Statement: deltas are sorted by it too, so the order shown is
# the order named, in the delta modes as in the cumulative one.
SORT_FIELDS = {
    "total_exec_time": "total_ms",
    "mean_exec_time": "mean_ms",
    "calls": "calls",
    "rows": "rows",
    "shared_blks_read": "shared_blks_read",
    "temp_blks_written": "temp_blks_written",
}


class DeltaMode(enum.Enum):
    CUMULATIVE = "cumulative"
    SINCE_REFRESH = "since last refresh"
    SINCE_MARK = "since mark"


@dataclass(frozen=True, slots=True)
class Statement:
    """One pg_stat_statements entry (or its delta), with its text when known."""

    queryid: int
    username: str
    database: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    shared_blks_read: int
    temp_blks_written: int
    text: str = ""

    @property
    def key(self) -> str:
        return f"{self.queryid}:{self.username}:{self.database}"

    def minus(self, earlier: Statement) -> Statement:
        calls = self.calls - earlier.calls
        total = self.total_ms - earlier.total_ms
        return replace(
            self,
            calls=calls,
            total_ms=total,
            mean_ms=total / calls if calls else 0.0,
            rows=self.rows - earlier.rows,
            shared_blks_read=self.shared_blks_read - earlier.shared_blks_read,
            temp_blks_written=self.temp_blks_written - earlier.temp_blks_written,
        )


@dataclass(frozen=True, slots=True)
class Session:
    """A client session from pg_stat_activity; ``backend_start`` identifies it beyond its pid."""

    pid: int
    user: str
    database: str
    application: str
    client: str
    state: str
    wait: str
    backend_start: datetime
    xact_start: datetime | None
    query_start: datetime | None
    xact_age_s: float | None
    query_age_s: float | None
    query: str
    blocked_by: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StatementsAvailability:
    """Whether statements can be read here, and if not, exactly how to enable them."""

    schema: str | None
    preloaded: bool
    privileged: bool
    role: str = "the cockpit's role"  # the session's, named in the GRANT

    @property
    def usable(self) -> bool:
        return self.schema is not None and self.preloaded

    def guidance(self) -> str:
        if not self.preloaded:
            return (
                "pg_stat_statements is not preloaded: add it to shared_preload_libraries in "
                "postgresql.conf and restart the server"
            )
        if self.schema is None:
            return "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements"
        if not self.privileged:
            return f"other users' statements are hidden: GRANT pg_read_all_stats TO {self.role}"
        return ""


async def availability(conn: psycopg.AsyncConnection[Any]) -> StatementsAvailability:
    cursor = await conn.execute(sql.load("read_statements_availability.sql"))
    row = await cursor.fetchone()
    assert row is not None
    return StatementsAvailability(
        schema=row[0], preloaded=row[1] is not False, privileged=bool(row[2]), role=conn.info.user
    )


class StatementsReader:
    """Reads top statements on a kept session; caches texts; keeps baselines for deltas.

    Read every refresh (each second at ``--refresh 1``), so the read is kept light: the query is
    composed once per sort order, rows come as tuples, and a row the server returns unchanged
    gives back the same ``Statement`` object as before (the table then skips it by identity:
    bench/idle_footprint.py).
    """

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.texts: dict[int, str] = {}
        self._previous: dict[str, Statement] | None = None
        self._marked: dict[str, Statement] | None = None
        self._current: dict[str, Statement] = {}
        self._queries: dict[str, Any] = {}  # sort order -> the composed statements query
        self._built: dict[tuple[Any, ...], Statement] = {}  # the last read's rows, as returned

    async def read(
        self,
        conn: psycopg.AsyncConnection[Any],
        order: str = "total_exec_time",
        mode: DeltaMode = DeltaMode.CUMULATIVE,
    ) -> list[Statement]:
        """The top statements by ``order``, as cumulative numbers or deltas."""
        if order not in SORT_COLUMNS:
            raise ValueError(f"cannot sort by {order!r}")
        query = self._queries.get(order)
        if query is None:
            from psycopg import sql as pgsql

            query = pgsql.SQL(sql.load("read_statements.sql")).format(
                schema=pgsql.Identifier(self.schema), order=pgsql.Identifier(order)
            )
            self._queries[order] = query
        cursor = await conn.execute(query, {"limit": STATEMENT_LIMIT})
        # (queryid, username, datname, calls, total, mean, rows, read, temp): statements.sql
        rows: list[tuple[Any, ...]] = await fetch_sliced(cursor)
        await self._fetch_texts(conn, [int(r[0]) for r in rows])
        kept, built = self._built, {}
        current = {}
        for r in rows:
            text = self.texts.get(int(r[0]), "")
            statement = kept.get(r)
            if statement is None or statement.text != text:
                statement = Statement(
                    queryid=int(r[0]),
                    username=r[1] or "?",
                    database=r[2] or "?",
                    calls=int(r[3]),
                    total_ms=float(r[4]),
                    mean_ms=float(r[5]),
                    rows=int(r[6]),
                    shared_blks_read=int(r[7]),
                    temp_blks_written=int(r[8]),
                    text=text,
                )
            built[r] = statement
            current[statement.key] = statement
        self._built = built
        self._previous, self._current = self._current or None, current
        return self.view(mode, order)

    def view(self, mode: DeltaMode, order: str = "total_exec_time") -> list[Statement]:
        """The last read as ``mode`` shows it: cumulative (the server's order), or deltas sorted
        by ``order``'s figure, largest first."""
        baseline = {DeltaMode.SINCE_REFRESH: self._previous, DeltaMode.SINCE_MARK: self._marked}.get(mode)
        if mode is DeltaMode.CUMULATIVE or baseline is None:
            return list(self._current.values())
        zero = Statement(0, "", "", 0, 0.0, 0.0, 0, 0, 0)
        deltas = [s.minus(baseline.get(key, zero)) for key, s in self._current.items()]
        field = SORT_FIELDS[order]
        return sorted((d for d in deltas if d.calls > 0), key=lambda s: getattr(s, field), reverse=True)

    def mark(self) -> None:
        """Remember now: the 'since mark' view counts from this instant."""
        self._marked = dict(self._current)

    @property
    def has_mark(self) -> bool:
        return self._marked is not None

    async def _fetch_texts(self, conn: psycopg.AsyncConnection[Any], ids: Iterable[int]) -> None:
        from psycopg import sql as pgsql

        missing = [i for i in ids if i not in self.texts]
        if not missing:
            return
        query = pgsql.SQL(sql.load("read_statement_texts.sql")).format(schema=pgsql.Identifier(self.schema))
        cursor = await conn.execute(query, {"ids": missing})
        for queryid, text in await fetch_sliced(cursor):
            self.texts[int(queryid)] = redact_sql(text or "")
        for queryid in missing:
            self.texts.setdefault(queryid, "")


async def read_sessions(conn: psycopg.AsyncConnection[Any]) -> list[Session]:
    from psycopg.rows import dict_row

    cursor = conn.cursor(row_factory=dict_row)
    await cursor.execute(sql.load("read_activity.sql"))
    return [
        Session(
            pid=int(r["pid"]),
            user=r["usename"] or "",
            database=r["datname"] or "",
            application=r["application_name"] or "",
            client=r["client"] or "local",
            state=r["state"] or "",
            wait=":".join(x for x in (r["wait_event_type"], r["wait_event"]) if x),
            backend_start=r["backend_start"],
            xact_start=r["xact_start"],
            query_start=r["query_start"],
            xact_age_s=r["xact_age_s"],
            query_age_s=r["query_age_s"],
            query=redact_sql(r["query"] or ""),
            blocked_by=tuple(r["blocked_by"] or ()),
        )
        for r in await cursor.fetchall()
    ]


def lock_tree(sessions: Sequence[Session]) -> list[tuple[int, Session | None]]:
    """Who blocks whom, depth-first from each root blocker: (depth, session) pairs.

    A blocker that is not a client session (or not visible) appears as ``None`` at depth 0 with
    its pid unknown to us; the blocked sessions hang below it all the same.
    """
    by_pid = {s.pid: s for s in sessions}
    children: dict[int, list[int]] = {}
    for s in sessions:
        for blocker in s.blocked_by:
            children.setdefault(blocker, []).append(s.pid)
    blocked = {pid for kids in children.values() for pid in kids}
    roots = [pid for pid in children if pid not in blocked]
    lines: list[tuple[int, Session | None]] = []
    seen: set[int] = set()

    def visit(pid: int, depth: int) -> None:
        if pid in seen:
            return
        seen.add(pid)
        lines.append((depth, by_pid.get(pid)))
        for child in sorted(children.get(pid, [])):
            visit(child, depth + 1)

    for root in sorted(roots):
        visit(root, 0)
    return lines


def blocking(sessions: Sequence[Session]) -> dict[int, list[int]]:
    """The sessions each pid keeps waiting directly (from pg_blocking_pids), by pid, in order."""
    waiters: dict[int, list[int]] = {}
    for s in sessions:
        for blocker in s.blocked_by:
            waiters.setdefault(blocker, []).append(s.pid)
    return {pid: sorted(kept) for pid, kept in waiters.items()}


def blast_radius(sessions: Sequence[Session], pid: int) -> int:
    """How many sessions wait, directly or not, on ``pid``."""
    children: dict[int, set[int]] = {}
    for s in sessions:
        for blocker in s.blocked_by:
            children.setdefault(blocker, set()).add(s.pid)
    waiting: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in waiting:
                waiting.add(child)
                stack.append(child)
    return len(waiting)


def short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def judge(
    statements: Sequence[Statement] | None,
    sessions: Sequence[Session],
    thresholds: Thresholds,
    availability_: StatementsAvailability | None,
    database: str,
) -> list[Finding]:
    """Slow statements, long transactions, idle-in-transaction sessions and blockers."""
    findings: list[Finding] = []
    if availability_ is not None and availability_.guidance():
        severity = Severity.OK if availability_.usable else Severity.WARN
        findings.append(
            Finding("queries.statements", database, severity, availability_.guidance(), hint=STATEMENTS_HINT)
        )
    if statements is not None:
        slow = [s for s in statements if s.mean_ms > thresholds.slow_query_ms]
        for s in slow:
            findings.append(
                Finding(
                    "queries.slow_statement",
                    f"{database}:{s.queryid}",
                    Severity.WARN,
                    f"mean {s.mean_ms:.0f} ms over {s.calls} calls: {short(s.text, 50)}",
                    value=round(s.mean_ms, 1),
                    threshold=thresholds.slow_query_ms,
                )
            )
        if not slow:
            findings.append(
                Finding(
                    "queries.slow_statement",
                    database,
                    Severity.OK,
                    f"no statement over {thresholds.slow_query_ms:g} ms mean",
                    threshold=thresholds.slow_query_ms,
                )
            )
    for session in sessions:  # only the sessions past a threshold: hundreds are normal
        subject = f"{database}:pid {session.pid} ({session.user})"
        age = session.xact_age_s or 0.0
        if session.state.startswith("idle in transaction"):
            finding = measured(
                "queries.idle_in_transaction",
                subject,
                age,
                f"idle in transaction for {format_duration(age)}: {short(session.query, 40)}",
                warn=thresholds.idle_in_transaction_warn_s,
            )
        elif session.xact_start is not None:
            finding = measured(
                "queries.long_transaction",
                subject,
                age,
                f"transaction open {format_duration(age)}: {short(session.query, 40)}",
                warn=thresholds.long_transaction_warn_s,
            )
        else:
            continue
        if finding.severity is not Severity.OK:
            findings.append(finding)
    pids = {s.pid for s in sessions}
    for depth, root in lock_tree(sessions):
        if depth == 0 and root is not None and root.pid in pids:
            waiting = blast_radius(sessions, root.pid)
            findings.append(
                Finding(
                    "queries.blocking",
                    f"{database}:pid {root.pid} ({root.user})",
                    Severity.WARN,
                    f"blocks {waiting} sessions ({root.state}): {short(root.query, 40)}",
                    value=waiting,
                    threshold=0,
                )
            )
    return findings
