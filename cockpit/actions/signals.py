"""Cancel or terminate sessions, safely: the action behind the Queries pane's c and K keys.

A pid alone is not a session: after a terminate, PostgreSQL may hand the same pid to a new
backend (pg_activity signals a bare pid). Each signal is sent by one statement that also checks
the session's ``backend_start`` (and ``query_start`` for a cancel), so a recycled pid, or a
session that moved on to another query, matches nothing and is refused. The list of sessions and
their results go into the audit record. Read-only sessions do not stop pg_cancel_backend or
pg_terminate_backend: the guard is what protects, so this runs only through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from cockpit.config import Database
from cockpit.db import sql
from cockpit.db.sessions import SessionPolicy, connect
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.queries import Session, short

Kind = Literal["cancel", "terminate"]
FUNCTIONS = {"cancel": "pg_cancel_backend", "terminate": "pg_terminate_backend"}


class SignalOutcome(StrEnum):
    """What became of one session's signal; for the last two, ``SignalResult.reason`` says why."""

    CANCELLED = "cancelled"
    TERMINATED = "terminated"
    REFUSED = "refused"  # not sent: not the session shown, or not allowed (the reason says which)
    FAILED = "failed"  # sent, and the server said no or the statement broke


@dataclass(frozen=True, slots=True)
class SignalResult:
    pid: int
    user: str
    outcome: SignalOutcome
    reason: str = ""  # why it was refused or failed, as the operator can act on it

    def __str__(self) -> str:
        """What the audit record says of this session: ``cancelled``, ``refused: <why>``."""
        return f"{self.outcome}: {self.reason}" if self.reason else str(self.outcome)


def request_for(kind: Kind, database: Database, sessions: Sequence[Session]) -> ActionRequest:
    """The guarded request: the exact list (pid, user, truncated query) is in its parameters."""
    verb = "Cancel the query of" if kind == "cancel" else "Terminate"
    noun = "session" if len(sessions) == 1 else "sessions"
    one = sessions[0].pid if len(sessions) == 1 else None
    if kind == "cancel":
        button = f"Cancel {one}'s query" if one else f"Cancel {len(sessions)} queries"
    else:
        button = f"Terminate {one}" if one else f"Terminate {len(sessions)} sessions"
    return ActionRequest(
        action=f"queries.{kind}",
        summary=f"{verb} {len(sessions)} {noun} on {database.name}"
        + (f": {sessions[0].pid} ({sessions[0].user})" if len(sessions) == 1 else ""),
        params={
            "database": database.name,
            "sessions": [{"pid": s.pid, "user": s.user, "query": short(s.query, 80)} for s in sessions],
        },
        details=tuple(f"{s.pid} {s.user} ({s.state or '-'}): {short(s.query, 60)}" for s in sessions),
        listing=noun,
        button=button,
        keep="Keep it" if one else "Keep them",
    )


def signal_sessions(
    context: ActionContext, kind: Kind, database: Database, policy: SessionPolicy, sessions: Sequence[Session]
) -> list[SignalResult]:
    """Send the signal to each session that is still the one shown; refuse the others."""
    from psycopg import sql as pgsql

    query = pgsql.SQL(sql.load("signal_backend.sql")).format(function=pgsql.Identifier(FUNCTIONS[kind]))
    done = SignalOutcome.CANCELLED if kind == "cancel" else SignalOutcome.TERMINATED
    results: list[SignalResult] = []
    # The signal itself must not be read-only-blocked: the guard already decided.
    with connect(
        database,
        SessionPolicy(
            statement_timeout_ms=policy.statement_timeout_ms,
            lock_timeout_ms=policy.lock_timeout_ms,
            connect_timeout_s=policy.connect_timeout_s,
        ),
    ) as conn:
        for index, session in enumerate(sessions):
            context.progress(
                f"{kind} {session.pid} ({index + 1}/{len(sessions)})", index / max(1, len(sessions))
            )
            params: dict[str, Any] = {
                "pid": session.pid,
                "backend_start": session.backend_start,
                "query_start": session.query_start if kind == "cancel" else None,
            }
            try:
                row = conn.execute(query, params).fetchone()
            except Exception as exc:  # one failure must not stop the rest; it is reported
                results.append(SignalResult(session.pid, session.user, *_failure(conn, session, exc)))
                continue
            if row is None:
                result = SignalResult(
                    session.pid, session.user, SignalOutcome.REFUSED, _not_matched(conn, session)
                )
            elif row[1]:
                result = SignalResult(session.pid, session.user, done)
            else:
                why = "the server refused the signal (privilege?)"
                result = SignalResult(session.pid, session.user, SignalOutcome.FAILED, why)
            results.append(result)
    context.result_detail = "; ".join(f"{r.pid} ({r.user}): {r}" for r in results)
    return results


def _failure(conn: Any, session: Session, exc: Exception) -> tuple[SignalOutcome, str]:
    """Why a signal failed, as the operator can act on it: a missing grant names the GRANT; a
    superuser's session can be signalled by a superuser only, and no GRANT changes that."""
    import psycopg

    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        row = conn.execute(sql.load("read_role_superuser.sql"), {"role": session.user}).fetchone()
        if row is not None and row[0]:
            return SignalOutcome.REFUSED, (
                f"{session.user} is a superuser, whose sessions only a superuser may "
                "signal (no GRANT allows it)"
            )
        user = conn.info.user
        return (
            SignalOutcome.REFUSED,
            f"{user} may not signal {session.user}'s sessions: GRANT pg_signal_backend TO {user}",
        )
    lines = str(exc).splitlines()
    return SignalOutcome.FAILED, lines[0] if lines else ""


def _not_matched(conn: Any, session: Session) -> str:
    """Why no session matched the re-check: usually it moved on (pid reused, query changed); but
    a role without pg_read_all_stats sees other users' sessions without their backend_start,
    so nothing can ever match, and the fix is a GRANT."""
    row = conn.execute(sql.load("read_session_hidden.sql"), {"pid": session.pid}).fetchone()
    if row is not None and row[0]:
        user = conn.info.user
        return (
            f"{user} cannot see {session.user}'s sessions to re-check this one: "
            f"GRANT pg_read_all_stats TO {user} (pg_monitor holds it)"
        )
    return "not the session shown (pid reused or query changed)"
