"""The checklist journal: every event of every run, written durably before anything shows it.

A run is a row (checklist, target, parameters, the checklist's definition as it was when the run
started, who holds it) and an append-only list of events (step done, skipped with its reason,
note, check result, action result, take-over...), each with its operator and time. The screens
derive everything they show from the events, after they are committed: a dropped SSH session or
a killed process loses nothing, and the next ``cockpit`` offers to resume.

One operator holds a run at a time. Only the holder appends; anyone else follows read-only until
they take it over, which is an event of its own (and an audit record, written by the caller).
The holder's appends and heartbeats renew a lease, so followers can see whether the holder is
still there.

SQLite (the state store, default) for one host; PostgreSQL (``[state] url``) when observers on
several bastions follow the same runs. Both run the same SQL; only the placeholders differ.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from cockpit.config import Config
from cockpit.errors import CockpitError
from cockpit.state import JOURNAL_SCHEMA, StateStore

LEASE_S = 60.0  # a holder silent for this long is shown as gone (still only taken over explicitly)


RUNS_SELECT = (
    "SELECT id, checklist_id, title, target, definition, params, started_at, started_by,"
    " status, finished_at, holder, lease_until FROM checklist_runs"
)


class EventKind(StrEnum):
    """What an event records; the value is the ``kind`` column of ``checklist_events``."""

    RUN_STARTED = "run_started"
    TAKEOVER = "takeover"
    RUN_FINISHED = "run_finished"  # detail: its RunStatus, and an abandoned run's reason
    CHECK_STARTED = "check_started"
    ACTION_STARTED = "action_started"
    STEP_DONE = "step_done"
    STEP_SKIPPED = "step_skipped"
    STEP_FAILED = "step_failed"
    NOTE = "note"
    CHECK_RESULT = "check_result"
    ACTION_RESULT = "action_result"
    COMMAND_RESULT = "command_result"


class RunStatus(StrEnum):
    """Where a run is; the value is the ``status`` column of ``checklist_runs``."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # finished with a failed step
    ABANDONED = "abandoned"  # ended unfinished, with a reason


class NotHolder(CockpitError):
    """Someone else holds the run: follow it, or take it over explicitly."""


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    at: str
    operator: str
    kind: EventKind
    step: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    checklist_id: str
    title: str
    target: str
    definition: dict[str, Any]
    params: dict[str, str]
    started_at: str
    started_by: str
    status: RunStatus
    finished_at: str | None
    holder: str
    lease_until: float

    @property
    def holder_active(self) -> bool:
        return self.lease_until > time.time()


class _Backend(Protocol):
    for_update: str  # how a SELECT locks the rows it reads, where the database needs saying so

    @contextmanager
    def transaction(self) -> Iterator[Any]: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def close(self) -> None: ...


class _SqliteBackend:
    """The state store's own SQLite (its migration 4 made the tables)."""

    for_update = ""  # BEGIN IMMEDIATE already serializes writers

    def __init__(self, store: StateStore) -> None:
        self.store = store

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.store.transaction() as db:
            yield db

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.store.query(sql, params)

    def close(self) -> None:
        pass  # the state store is its owner's to close


class _PostgresBackend:
    """A shared PostgreSQL database (schema ``ops_cockpit``), so several hosts follow one run."""

    for_update = " FOR UPDATE"  # two hosts appending to one run take turns

    def __init__(self, conn: Any, *, read_only: bool = False) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        if read_only:  # an observer's session cannot create anything: the journal must be there
            found = self.query("SELECT to_regclass('ops_cockpit.checklist_events') IS NOT NULL")
            if not found[0][0]:
                raise CockpitError(
                    "state.url: no checklist journal there yet (an operator's cockpit creates it)"
                )
            return
        with self.transaction() as db:
            db.execute("CREATE SCHEMA IF NOT EXISTS ops_cockpit")
            for statement in JOURNAL_SCHEMA:
                db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._lock, self.conn.transaction():
            yield _Placeholders(self.conn)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self.conn.transaction():
            return list(self.conn.execute(sql.replace("?", "%s"), params).fetchall())

    def close(self) -> None:
        self.conn.close()


class _Placeholders:
    """SQLite's ``?`` placeholders for psycopg's ``%s``."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), params)


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """The runs and their events. ``clock`` is the runs' time: event times, run ids, and the
    "now" that screens count deadlines and windows from (fixed in snapshot tests)."""

    RENEW_EVERY_S = LEASE_S / 3  # a held run's lease is renewed this often while the process lives

    def __init__(self, backend: _Backend, clock: Clock | None = None) -> None:
        self._db = backend
        self.now: Clock = clock or _utc_now
        self._held: dict[str, str] = {}  # run id -> the operator this process holds it as
        self._held_lock = threading.Lock()
        self._closing = threading.Event()
        self._keeper: threading.Thread | None = None

    @classmethod
    def local(cls, store: StateStore, clock: Clock | None = None) -> Journal:
        return cls(_SqliteBackend(store), clock)

    @classmethod
    def shared(
        cls, url: str, password: str | None = None, clock: Clock | None = None, *, read_only: bool = False
    ) -> Journal:
        """The journal in a PostgreSQL database (``[state] url``); a CockpitError says why not.
        An observer's (``read_only``) session is opened read-only: it can follow, never write."""
        import psycopg

        options = "-c search_path=ops_cockpit,public"
        if read_only:
            options += " -c default_transaction_read_only=on"
        try:
            conn = psycopg.connect(
                url, password=password, autocommit=True, application_name="ops-cockpit-journal",
                connect_timeout=10, options=options,
            )  # fmt: skip
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CockpitError(f"state.url: cannot reach the shared journal: {first}") from None
        try:
            return cls(_PostgresBackend(conn, read_only=read_only), clock)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        self._closing.set()
        if self._keeper is not None:
            self._keeper.join(timeout=5)
        self._db.close()

    # -- leases: a holder is "there" while its process lives, whatever screen it shows --------

    def hold(self, run_id: str, operator: str) -> None:
        """Keep renewing the lease of a run this process holds, until it is finished, taken over
        or the journal closed. A holder who left the run's screen (to look at the Queries pane)
        is still there: followers must not see them as gone while the process lives."""
        with self._held_lock:
            self._held[run_id] = operator
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, name="journal-leases", daemon=True)
                self._keeper.start()

    def _keep(self) -> None:
        while not self._closing.wait(self.RENEW_EVERY_S):
            with self._held_lock:
                held = list(self._held.items())
            for run_id, operator in held:
                try:
                    still = self.heartbeat(run_id, operator)
                except Exception:  # noqa: S112 - a store closed under us, a network blip: next round
                    continue
                if not still:
                    with self._held_lock:
                        self._held.pop(run_id, None)

    # -- runs ----------------------------------------------------------------------------------

    def start_run(
        self, *, checklist_id: str, title: str, target: str, definition: dict[str, Any],
        params: dict[str, str], operator: str,
    ) -> str:  # fmt: skip
        moment = self.now().astimezone(UTC)  # read once: the id and the start time agree
        now = moment.isoformat(timespec="milliseconds")
        run_id = f"{moment:%Y%m%d-%H%M}-{uuid.uuid4().hex[:6]}"
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO checklist_runs (id, checklist_id, title, target, definition, params,"
                " started_at, started_by, holder, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, checklist_id, title, target, json.dumps(definition), json.dumps(params),
                 now, operator, operator, time.time() + LEASE_S),
            )  # fmt: skip
            self._insert(
                db, run_id, 1, operator, kind=EventKind.RUN_STARTED, step=None, detail={"params": params}
            )
        return run_id

    def runs(self, *, unfinished: bool = False, limit: int = 200) -> list[RunInfo]:
        where = "WHERE status = 'running'" if unfinished else ""
        rows = self._db.query(f"{RUNS_SELECT} {where} ORDER BY started_at DESC LIMIT ?", (limit,))
        return [_run_info(row) for row in rows]

    def run(self, run_id: str) -> RunInfo:
        rows = self._db.query(f"{RUNS_SELECT} WHERE id = ?", (run_id,))
        if not rows:
            raise CockpitError(f"no checklist run {run_id!r}: see `cockpit checklist runs`")
        return _run_info(rows[0])

    # -- events --------------------------------------------------------------------------------

    def append(
        self,
        run_id: str,
        operator: str,
        kind: EventKind,
        step: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Event:
        """Append one event as the run's holder, committed before this returns."""
        with self._db.transaction() as db:
            self._require_holder(db, run_id, operator)
            return self._next(db, run_id, operator, kind, step=step, detail=detail or {})

    def take_over(self, run_id: str, operator: str) -> Event:
        """Make ``operator`` the holder, whoever held it; recorded as an event (the caller audits)."""
        with self._db.transaction() as db:
            holder, _ = self._holder(db, run_id)
            db.execute("UPDATE checklist_runs SET holder = ? WHERE id = ?", (operator, run_id))
            return self._next(db, run_id, operator, EventKind.TAKEOVER, step=None, detail={"from": holder})

    def heartbeat(self, run_id: str, operator: str) -> bool:
        """Renew the lease if ``operator`` still holds the running run; False once someone took
        it over or it ended."""
        with self._db.transaction() as db:
            done = db.execute(
                "UPDATE checklist_runs SET lease_until = ?"
                " WHERE id = ? AND holder = ? AND status = 'running'",
                (time.time() + LEASE_S, run_id, operator),
            )
            return bool(done.rowcount)

    def finish(
        self, run_id: str, operator: str, status: RunStatus, detail: dict[str, Any] | None = None
    ) -> Event:
        with self._db.transaction() as db:
            self._require_holder(db, run_id, operator)
            event = self._next(
                db,
                run_id,
                operator,
                EventKind.RUN_FINISHED,
                step=None,
                detail={"status": status, **(detail or {})},
            )
            db.execute(
                "UPDATE checklist_runs SET status = ?, finished_at = ? WHERE id = ?",
                (RunStatus(status), event.at, run_id),
            )
            return event

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        rows = self._db.query(
            "SELECT seq, at, operator, kind, step, detail FROM checklist_events"
            " WHERE run_id = ? AND seq > ? ORDER BY seq",
            (run_id, after),
        )
        return [Event(r[0], r[1], r[2], EventKind(r[3]), r[4], json.loads(r[5])) for r in rows]

    # -- inside a transaction -----------------------------------------------------------------

    def _holder(self, db: Any, run_id: str) -> tuple[str, str]:
        row = db.execute(
            "SELECT holder, status FROM checklist_runs WHERE id = ?" + self._db.for_update, (run_id,)
        ).fetchone()
        if row is None:
            raise CockpitError(f"no checklist run {run_id!r}")
        return str(row[0]), str(row[1])

    def _require_holder(self, db: Any, run_id: str, operator: str) -> None:
        """Only the holder writes, and only while the run is running."""
        holder, status = self._holder(db, run_id)
        if holder != operator:
            raise NotHolder(f"{holder} holds this run: follow it, or take it over to act")
        if status != RunStatus.RUNNING:
            raise CockpitError(f"this run is {status}: nothing more can be recorded")

    def _next(
        self,
        db: Any,
        run_id: str,
        operator: str,
        kind: EventKind,
        *,
        step: str | None,
        detail: dict[str, Any],
    ) -> Event:
        last = db.execute("SELECT max(seq) FROM checklist_events WHERE run_id = ?", (run_id,)).fetchone()[0]
        event = self._insert(db, run_id, int(last or 0) + 1, operator, kind=kind, step=step, detail=detail)
        db.execute("UPDATE checklist_runs SET lease_until = ? WHERE id = ?", (time.time() + LEASE_S, run_id))
        return event

    def _stamp(self) -> str:
        return self.now().astimezone(UTC).isoformat(timespec="milliseconds")

    def _insert(
        self, db: Any, run_id: str, seq: int, operator: str, *, kind: EventKind, step: str | None,
        detail: dict[str, Any],
    ) -> Event:  # fmt: skip
        at = self._stamp()
        db.execute(
            "INSERT INTO checklist_events (run_id, seq, at, operator, kind, step, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, seq, at, operator, EventKind(kind), step, json.dumps(detail, default=str)),
        )
        return Event(seq, at, operator, EventKind(kind), step, detail)


def open_journal(
    config: Config | None,
    store: StateStore | None = None,
    clock: Clock | None = None,
    *,
    read_only: bool = False,
) -> Journal:
    """The journal the config names: ``[state] url`` (shared PostgreSQL) or the local state store."""
    if config is not None and config.state.url:
        from cockpit.secrets import credentials

        password = credentials.resolve(config.state.password)
        return Journal.shared(config.state.url, password, clock, read_only=read_only)
    return Journal.local(store or StateStore(), clock)


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    return RunInfo(
        id=row[0], checklist_id=row[1], title=row[2], target=row[3], definition=json.loads(row[4]),
        params=json.loads(row[5]), started_at=row[6], started_by=row[7], status=RunStatus(row[8]),
        finished_at=row[9], holder=row[10], lease_until=float(row[11]),
    )  # fmt: skip
