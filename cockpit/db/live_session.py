"""One database session kept from one read to the next: what every live pane and monitor reads on.

A pane refreshing every second must not pay a connection per refresh (a TLS handshake and an
authentication each time, and a new backend for the server to fork), yet the session it keeps
can break (the server restarts, a proxy drops it) or stop answering (a frozen server or host,
a network dropping packets: TCP alone would wait for hours). ``LiveSession.read`` owns all of
that, so a pane only says what to read:

- the session is opened on the first read, and again on the read after one that lost it;
- ``on_connect`` runs once per new session (a pane's one-off questions: which schema holds
  pg_stat_statements, is it usable);
- every read, connecting included, has a deadline (``SessionPolicy.answer_deadline_s`` unless
  said): past it the session is handed over to ``answered`` to close once its read has ended,
  and the read raises ``NoAnswer``;
- a read whose session broke closes it and raises ``SessionLost``; one that could not connect
  raises the connection's ``CockpitError``. All three are one line, secrets redacted.

No Textual here: the panes' polling loop lives in ``screens/polling_pane.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from cockpit.db.sessions import SessionPolicy, answered, connect_async, describe_error
from cockpit.errors import CockpitError

if TYPE_CHECKING:
    import psycopg

    from cockpit.config import Database

_T = TypeVar("_T")
# What a read is handed, named here so that screens can say it without importing psycopg.
Connection: TypeAlias = "psycopg.AsyncConnection[Any]"


class SessionLost(CockpitError):
    """A read failed on its session (broken, or the statement failed): the session is closed and
    the next read opens a new one."""


class LiveSession:
    """A session to ``database`` with ``policy``'s settings, kept across reads (see the module)."""

    def __init__(
        self,
        database: Database,
        policy: SessionPolicy,
        *,
        on_connect: Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.database = database
        self.policy = policy
        self._on_connect = on_connect
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @property
    def connection(self) -> psycopg.AsyncConnection[Any] | None:
        """The open session, or None before the first read and after one that lost it."""
        if self._conn is None or self._conn.closed:
            return None
        return self._conn

    async def read(
        self, fn: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]], *, deadline_s: float | None = None
    ) -> _T:
        """``fn``'s result on the kept session (opened first if need be), within ``deadline_s``.

        Raises NoAnswer past the deadline, SessionLost when ``fn`` failed on the session, or the
        CockpitError saying why the session could not be opened.
        """
        seconds = self.policy.answer_deadline_s if deadline_s is None else deadline_s
        try:
            return await answered(self._read(fn), self.database, seconds, session=self._hand_over)
        except CockpitError:  # NoAnswer (its session handed over), or no session could be opened
            raise
        except Exception as exc:
            await self.aclose()
            raise SessionLost(_one_line(self.database, exc)) from None

    async def _read(self, fn: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]) -> _T:
        conn = self.connection
        if conn is None:
            conn = await self._open()
        return await fn(conn)

    async def _open(self) -> psycopg.AsyncConnection[Any]:
        conn = await connect_async(self.database, self.policy)
        if self._on_connect is not None:
            try:
                await self._on_connect(conn)
            except BaseException:
                # Half set up is not kept: the next read opens a session and asks again.
                with contextlib.suppress(Exception):
                    await conn.close()
                raise
        self._conn = conn
        return conn

    def _hand_over(self) -> psycopg.AsyncConnection[Any] | None:
        """The kept session, forgotten here: ``answered`` closes it once its read has ended."""
        conn, self._conn = self._conn, None
        return conn

    async def aclose(self) -> None:
        """Close the session (if any); a later read opens a new one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it may be broken already: only tidy up
                await conn.close()


def _one_line(database: Database, exc: BaseException) -> str:
    """The server's or driver's first line; another exception (a bug) keeps its type's name."""
    import psycopg

    if isinstance(exc, psycopg.Error):
        return describe_error(database, exc)
    return describe_error(database, RuntimeError(f"{type(exc).__name__}: {exc}"))
