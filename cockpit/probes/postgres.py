"""PostgreSQL health: one long-lived session per database, one round trip per fast refresh.

The monitor reconnects with backoff (1 s doubling to 30 s) and reports "reconnecting" meanwhile;
the database size runs on a slow cadence; pg_stat_statements is read without its texts, and
its absence is a hint, not a failure. ``judge`` turns a reading into findings, for the pane and
``cockpit check`` alike.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from cockpit.db import sql
from cockpit.db.live_session import LiveSession, SessionLost
from cockpit.db.sessions import NoAnswer, SessionPolicy, describe_error
from cockpit.errors import CockpitError
from cockpit.model import Finding, Severity, measured
from cockpit.probes.rows import PgHealth
from cockpit.units import format_duration, format_size

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Database, Thresholds

SIZE_EVERY_S = 300.0
# The mean statement time is taken over about this span, long enough that a single slow statement
# does not swing it across the alert threshold and back (over one refresh of 1-2 s it would flap).
MEAN_SPAN_S = 60.0
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
STATEMENTS_HINT = (
    "to enable: add pg_stat_statements to shared_preload_libraries, restart, then "
    "CREATE EXTENSION pg_stat_statements; grant pg_read_all_stats to the cockpit's role"
)


class PgHealthMonitor:
    """Keeps one session to ``database`` and reads its health on demand."""

    def __init__(self, database: Database, policy: SessionPolicy) -> None:
        self.database = database
        self.policy = policy
        self.session = LiveSession(database, policy, on_connect=self._connected)
        self._statements_schema: str | None = None
        self._backoff = 0.0
        self._next_attempt = 0.0
        self._last_error = ""
        self._size: int | None = None
        self._size_at = 0.0
        # (monotonic time, total ms, calls) of pg_stat_statements, oldest first, over MEAN_SPAN_S.
        self._totals: deque[tuple[float, float, int]] = deque()
        self._ever_connected = False

    async def _connected(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """A new session: the backoff ends; which schema holds pg_stat_statements is asked again."""
        self._backoff = 0.0
        self._ever_connected = True
        cursor = await conn.execute(sql.load("read_statements_schema.sql"))
        row = await cursor.fetchone()
        self._statements_schema = row[0] if row else None
        self._totals.clear()

    def _fail(self, message: str) -> None:
        self._last_error = message
        self._backoff = min(BACKOFF_MAX_S, max(BACKOFF_START_S, self._backoff * 2))
        self._next_attempt = time.monotonic() + self._backoff

    def _unreachable(self, *, reconnecting: bool) -> PgHealth:
        name, error = self.database.name, self._last_error
        return PgHealth(name, reachable=False, error=error, reconnecting=reconnecting)

    async def read(self) -> PgHealth:
        """One reading: a round trip on the kept session, or why there is none."""
        if self.session.connection is None and time.monotonic() < self._next_attempt:
            return self._unreachable(reconnecting=self._ever_connected)  # backing off
        was_connected = self._ever_connected
        try:
            return await self.session.read(self._read)
        except (NoAnswer, SessionLost) as exc:  # the session is gone: a new one after the backoff
            self._fail(str(exc))
            return self._unreachable(reconnecting=True)
        except CockpitError as exc:  # no session could be opened
            self._fail(str(exc))
            return self._unreachable(reconnecting=was_connected)

    async def _read(self, conn: psycopg.AsyncConnection[Any]) -> PgHealth:
        import psycopg
        from psycopg import sql as pgsql

        started = time.perf_counter()
        try:
            cursor = await conn.execute(sql.load("read_health_fast.sql"))
            row = await cursor.fetchone()
            assert cursor.description is not None and row is not None
            values = dict(zip([c.name for c in cursor.description], row, strict=True))
            mean = None
            if self._statements_schema is not None:
                query = pgsql.SQL(sql.load("read_statements_mean.sql")).format(
                    schema=pgsql.Identifier(self._statements_schema)
                )
                try:
                    totals = await (await conn.execute(query)).fetchone()
                except psycopg.errors.ObjectNotInPrerequisiteState:
                    totals = None  # installed but not preloaded
                mean = self._mean(totals)
            if time.monotonic() - self._size_at > SIZE_EVERY_S or self._size is None:
                size_row = await (await conn.execute(sql.load("read_database_size.sql"))).fetchone()
                self._size = int(size_row[0]) if size_row else None
                self._size_at = time.monotonic()
        except psycopg.OperationalError:
            raise  # the session is lost: LiveSession closes it, read() says so
        except psycopg.Error as exc:  # the session is fine, the statement was refused: say why
            return PgHealth(self.database.name, reachable=True, error=describe_error(self.database, exc))
        took = (time.perf_counter() - started) * 1000
        states = values["states"] if isinstance(values["states"], dict) else json.loads(values["states"])
        slots = values["slots"] if isinstance(values["slots"], list) else json.loads(values["slots"])
        return PgHealth(
            name=self.database.name,
            reachable=True,
            query_ms=took,
            version=values["version"],
            uptime_s=float(values["uptime_s"] or 0),
            connections=int(values["connections"]),
            max_connections=int(values["max_connections"]),
            states={str(k): int(v) for k, v in states.items()},
            oldest_xact_s=values["oldest_xact_s"],
            oldest_idle_xact_s=values["oldest_idle_xact_s"],
            blocked=int(values["blocked"]),
            cache_hit=values["cache_hit"],
            xid_age=int(values["xid_age"] or 0),
            freeze_max_age=int(values["freeze_max_age"]),
            standby=bool(values["standby"]),
            replay_lag_s=values["replay_lag_s"],
            streamed=bool(values["streamed"]),
            wal_receiver=values["wal_receiver"],
            replicas=int(values["replicas"]),
            slots=list(slots),
            statements_installed=self._statements_schema is not None,
            mean_statement_ms=mean,
            size_bytes=self._size,
        )

    def _mean(self, totals: tuple[Any, ...] | None) -> float | None:
        """Mean ms per call over the last MEAN_SPAN_S (since the session opened, until then;
        cumulative on the first reading, which is all a one-shot ``cockpit check`` has)."""
        if totals is None or totals[0] is None:
            return None
        now, total, calls = time.monotonic(), float(totals[0]), int(totals[1])
        if self._totals and calls < self._totals[-1][2]:
            self._totals.clear()  # pg_stat_statements_reset(): start again
        self._totals.append((now, total, calls))
        while len(self._totals) > 2 and self._totals[1][0] <= now - MEAN_SPAN_S:
            self._totals.popleft()
        if len(self._totals) == 1:
            return total / calls if calls else None
        _, base_total, base_calls = self._totals[0]
        return (total - base_total) / (calls - base_calls) if calls > base_calls else None

    async def aclose(self) -> None:
        await self.session.aclose()


def judge(health: PgHealth, thresholds: Thresholds) -> list[Finding]:
    """Findings for one reading: the pane's status column and ``cockpit check`` share these."""
    name = health.name
    if not health.reachable:
        state = "reconnecting: " if health.reconnecting else ""
        return [
            Finding(
                "postgres.reachable",
                name,
                Severity.CRIT,
                f"{state}{health.error}",
                hint="check the DSN, the server and the keyring password",
            )
        ]
    findings = [
        Finding(
            "postgres.reachable",
            name,
            Severity.OK,
            f"reachable, PostgreSQL {health.version}",
            value=health.version,
        )
    ]
    if health.error:
        findings.append(
            Finding(
                "postgres.query",
                name,
                Severity.UNKNOWN,
                health.error,
                hint="does the cockpit's role have pg_monitor?",
            )
        )
        return findings
    pct = health.connections_pct
    findings.append(
        measured(
            "postgres.connections",
            name,
            pct,
            f"{health.connections} of {health.max_connections} connections ({pct:.0f}%)",
            warn=thresholds.connections_warn_pct,
            crit=thresholds.connections_crit_pct,
        )
    )
    if health.oldest_xact_s is not None:
        findings.append(
            measured(
                "postgres.oldest_transaction",
                name,
                health.oldest_xact_s,
                f"oldest transaction open {format_duration(health.oldest_xact_s)}",
                warn=thresholds.long_transaction_warn_s,
            )
        )
    if health.oldest_idle_xact_s is not None:
        findings.append(
            measured(
                "postgres.idle_in_transaction",
                name,
                health.oldest_idle_xact_s,
                f"a session idle in transaction for {format_duration(health.oldest_idle_xact_s)}",
                warn=thresholds.idle_in_transaction_warn_s,
                hint="it holds locks and blocks vacuum: find it in the Queries pane",
            )
        )
    findings.append(
        measured(
            "postgres.blocked", name, health.blocked, f"{health.blocked} sessions waiting on a lock", warn=0
        )
    )
    if health.cache_hit is not None:
        hit = 100.0 * health.cache_hit
        findings.append(
            Finding(
                "postgres.cache_hit",
                name,
                Severity.WARN if hit < thresholds.cache_hit_warn_pct else Severity.OK,
                f"cache hit ratio {hit:.1f}%",
                value=round(hit, 2),
                threshold=thresholds.cache_hit_warn_pct,
            )
        )
    wrap = health.wraparound_pct
    findings.append(
        measured(
            "postgres.wraparound",
            name,
            wrap,
            f"oldest xid age {health.xid_age:,} ({wrap:.0f}% of autovacuum_freeze_max_age)",
            warn=thresholds.wraparound_warn_pct,
            crit=thresholds.wraparound_crit_pct,
        )
    )
    findings.extend(_replication(health, thresholds))
    if health.statements_installed and health.mean_statement_ms is not None:
        findings.append(
            measured(
                "postgres.mean_statement",
                name,
                health.mean_statement_ms,
                f"mean statement {health.mean_statement_ms:.1f} ms",
                warn=thresholds.mean_statement_alert_ms,
            )
        )
    elif not health.statements_installed:
        findings.append(
            Finding(
                "postgres.mean_statement",
                name,
                Severity.OK,
                "pg_stat_statements not installed: no statement timings",
                hint=STATEMENTS_HINT,
            )
        )
    return findings


def _replication(health: PgHealth, thresholds: Thresholds) -> list[Finding]:
    name = health.name
    if health.standby:
        lag = health.replay_lag_s
        if health.receiver_lost:
            # Nothing arrives: what it replayed is all it knows, so no lag can be said.
            receiver = health.wal_receiver or "not running"
            return [
                Finding(
                    "postgres.replication",
                    name,
                    Severity.WARN,
                    f"standby, WAL receiver {receiver}: no WAL arriving from the primary, lag unknown",
                    hint="is the primary up and reachable? see primary_conninfo and the standby's log",
                )
            ]
        if lag is None:
            return [Finding("postgres.replication", name, Severity.UNKNOWN, "standby: nothing replayed yet")]
        # 0 exactly: health_fast.sql found everything received replayed (a measured lag never is).
        state = "caught up (replay lag 0s)" if lag == 0 else f"replay lag {lag:.0f}s"
        return [
            measured(
                "postgres.replication",
                name,
                lag,
                f"standby, {state}",
                warn=thresholds.replication_lag_warn_s,
                crit=thresholds.replication_lag_crit_s,
            )
        ]
    findings = [
        Finding(
            "postgres.replication",
            name,
            Severity.OK,
            f"primary with {health.replicas} streaming replicas",
            value=health.replicas,
        )
    ]
    for slot in health.slots:
        retained = slot.get("retained_bytes")
        if retained is not None:
            mb = float(retained) / 1024 / 1024
            state = "active" if slot.get("active") else "inactive"
            findings.append(
                measured(
                    "postgres.slot",
                    f"{name}/{slot.get('name')}",
                    mb,
                    f"{state} slot retains {format_size(retained)} of WAL",
                    warn=thresholds.slot_retained_warn_mb,
                )
            )
    return findings
