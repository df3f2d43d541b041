"""Database sessions as a monitor must open them.

Every session sets ``application_name = 'ops-cockpit'`` (so DBAs can see and filter us), a
``statement_timeout`` and a ``lock_timeout`` (a monitor must never queue behind a migration's
lock), ``jit = off`` (a server built with LLVM would compile the bloat estimate's catalog query
on every read, seconds each on a large catalog: bench/sessions_read.py's notes),
``standard_conforming_strings = on`` (so the server reads a checklist's SQL as checklist_sql
does), and in read-only mode ``default_transaction_read_only`` -- the third layer that keeps an
observer from writing. All of it travels in the startup packet, so no extra round trip is paid.
The password comes from the keyring. psycopg is imported lazily to keep the first frame fast.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from cockpit.errors import CockpitError
from cockpit.redact import redact
from cockpit.secrets import credentials

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Database, Settings

APPLICATION_NAME = "ops-cockpit"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """The server settings every cockpit session carries."""

    statement_timeout_ms: int = 5000
    lock_timeout_ms: int = 1000
    connect_timeout_s: int = 5
    read_only: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, *, read_only: bool) -> SessionPolicy:
        return cls(
            statement_timeout_ms=settings.statement_timeout_ms,
            lock_timeout_ms=settings.lock_timeout_ms,
            connect_timeout_s=settings.connect_timeout_s,
            read_only=read_only,
        )

    @property
    def answer_deadline_s(self) -> float:
        """How long one read (connecting included) may go unanswered before the session counts as
        dead: the server ends any statement at statement_timeout and libpq gives up connecting
        at connect_timeout, so past both nothing is coming (a frozen server or host, a network
        that drops packets: TCP alone would wait for hours)."""
        return self.connect_timeout_s + self.statement_timeout_ms / 1000

    def options(self) -> str:
        """The libpq ``options`` string: server settings applied at connection start."""
        parts = [
            f"-c statement_timeout={self.statement_timeout_ms}",
            f"-c lock_timeout={self.lock_timeout_ms}",
            "-c jit=off",
            # The default since PostgreSQL 9.1, said so that a server configured otherwise reads a
            # checklist's SQL as checklist_sql read it (a backslash in '...' is no escape).
            "-c standard_conforming_strings=on",
        ]
        if self.read_only:
            parts.append("-c default_transaction_read_only=on")
        return " ".join(parts)


def connect_kwargs(database: Database, policy: SessionPolicy, *, dbname: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` (sync or async) for this database (or, with
    ``dbname``, another database on its server: a verification's scratch database)."""
    kwargs: dict[str, Any] = {
        "conninfo": database.dsn,
        "application_name": APPLICATION_NAME,
        "connect_timeout": policy.connect_timeout_s,
        "options": policy.options(),
        "autocommit": True,
    }
    if dbname is not None:
        kwargs["dbname"] = dbname  # psycopg's keywords override the conninfo's
    password = credentials.resolve(database.password)
    if password is not None:
        kwargs["password"] = password
    return kwargs


def database_named(databases: Sequence[Database], dbname: str) -> Database | None:
    """The configured database whose DSN reaches ``dbname`` (pg_stat_statements names databases)."""
    from psycopg.conninfo import conninfo_to_dict

    def reaches(database: Database) -> bool:
        try:
            return bool(conninfo_to_dict(database.dsn).get("dbname") == dbname)
        except Exception:  # a DSN libpq cannot parse fails at connect time, with its own message
            return False

    return next((database for database in databases if reaches(database)), None)


def describe_error(database: Database, exc: BaseException) -> str:
    """One line for a failed connection or query, with secrets redacted."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return redact(f"database {database.name}: {first}")


class NoAnswer(CockpitError):
    """A read got no answer within its deadline (``answered``): its session is given up."""


async def answered(
    read: Awaitable[_T],
    database: Database,
    seconds: float,
    *,
    session: Callable[[], psycopg.AsyncConnection[Any] | None] | None = None,
) -> _T:
    """``read``'s result, or NoAnswer once ``seconds`` pass without one.

    A kept session whose server stops answering (a frozen server or host; a network that drops
    packets while the kernel still has the connection) must not make a pane's read wait forever
    while its rows go on looking current. At the deadline the read is cancelled and left to end on
    its own: psycopg asks the server to cancel, and gives the session up when that goes unanswered
    too (up to 10 s more). ``session`` hands over the caller's kept session at that moment (the
    caller forgets it and opens a new one next time); it is closed once the read has ended.
    """
    handed_over: list[psycopg.AsyncConnection[Any]] = []

    async def reading() -> _T:
        try:
            return await read
        except asyncio.CancelledError:
            for conn in handed_over:
                with contextlib.suppress(Exception):
                    await conn.close()
            raise

    task = asyncio.ensure_future(reading())
    task.add_done_callback(_ignore_outcome)  # a read left to end on its own: nobody awaits it
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        conn = session() if session is not None else None
        if conn is not None:
            handed_over.append(conn)
        task.cancel()
        raise NoAnswer(
            f"database {database.name}: no answer in {seconds:g} s (server or network not answering); "
            "the session was dropped and is opened again at the next refresh"
        )
    return task.result()


def _ignore_outcome(task: asyncio.Future[Any]) -> None:
    """Its error retrieved, so that one nobody waits for (a read given up on or cut short by the
    caller's cancellation) does not end up in asyncio's "never retrieved" log."""
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.exception()


def connect(
    database: Database, policy: SessionPolicy, *, dbname: str | None = None
) -> psycopg.Connection[Any]:
    """A blocking connection (for thread workers and the CLI); ``dbname``: as connect_kwargs."""
    import psycopg

    try:
        return psycopg.connect(**connect_kwargs(database, policy, dbname=dbname))
    except psycopg.Error as exc:
        raise CockpitError(describe_error(database, exc)) from None


async def connect_async(database: Database, policy: SessionPolicy) -> psycopg.AsyncConnection[Any]:
    """An asyncio connection (for probes that stay on the event loop)."""
    import psycopg

    try:
        return await psycopg.AsyncConnection.connect(**connect_kwargs(database, policy))
    except psycopg.Error as exc:
        raise CockpitError(describe_error(database, exc)) from None
