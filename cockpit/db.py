"""Database sessions as a monitor must open them.

Every session sets ``application_name = 'ops-cockpit'`` (so DBAs can see and filter us), a
``statement_timeout`` and a ``lock_timeout`` (a monitor must never queue behind a migration's
lock), ``jit = off`` (a server built with LLVM compiled the bloat estimate's catalog query
on every read: about 1.5 s each on 30,000 relations, bench/sessions_read.py's notes), and in
read-only mode ``default_transaction_read_only`` -- the third layer that keeps an observer from
writing. All of it travels in the startup packet, so no extra round trip is paid.
The password comes from the keyring. psycopg is imported lazily to keep the first frame fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cockpit import credentials
from cockpit.errors import CockpitError
from cockpit.redact import redact

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Database, Settings

APPLICATION_NAME = "ops-cockpit"


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

    def options(self) -> str:
        """The libpq ``options`` string: server settings applied at connection start."""
        parts = [
            f"-c statement_timeout={self.statement_timeout_ms}",
            f"-c lock_timeout={self.lock_timeout_ms}",
            "-c jit=off",
        ]
        if self.read_only:
            parts.append("-c default_transaction_read_only=on")
        return " ".join(parts)


def connect_kwargs(database: Database, policy: SessionPolicy) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` (sync or async) for this database."""
    kwargs: dict[str, Any] = {
        "conninfo": database.dsn,
        "application_name": APPLICATION_NAME,
        "connect_timeout": policy.connect_timeout_s,
        "options": policy.options(),
        "autocommit": True,
    }
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


def connect(database: Database, policy: SessionPolicy) -> psycopg.Connection[Any]:
    """A blocking connection (for thread workers and the CLI)."""
    import psycopg

    try:
        return psycopg.connect(**connect_kwargs(database, policy))
    except psycopg.Error as exc:
        raise CockpitError(describe_error(database, exc)) from None


async def connect_async(database: Database, policy: SessionPolicy) -> psycopg.AsyncConnection[Any]:
    """An asyncio connection (for probes that stay on the event loop)."""
    import psycopg

    try:
        return await psycopg.AsyncConnection.connect(**connect_kwargs(database, policy))
    except psycopg.Error as exc:
        raise CockpitError(describe_error(database, exc)) from None
