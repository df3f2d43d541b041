"""The Queries pane: top statements, live sessions, the lock tree, and safe cancel/terminate.

One kept session per database polls statements (without texts) and sessions every refresh
while the pane is on screen. `v` switches view, `s` the sort, `d` the delta mode, `m` marks an
instant. Cancel (`c`) and terminate (`K`) act on the selected session only, are offered only
when the guard would allow them, and re-check the session at execution (backend_signals).
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Label

from cockpit.backend_signals import Kind, request_for, signal_sessions
from cockpit.config import Database
from cockpit.db import connect_async
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.queries import (
    SORT_COLUMNS,
    DeltaMode,
    Session,
    Statement,
    StatementsAvailability,
    StatementsReader,
    availability,
    lock_tree,
    read_sessions,
)
from screens.cadence import Wakeup
from screens.pane_env import PaneEnv
from widgets.queries_tables import LockTree, SessionsTable, StatementsTable

VIEWS = ("statements", "sessions", "locks")
SIGNALS = {"cancel": "queries.cancel", "terminate": "queries.terminate"}


class QueriesPane(Vertical):
    BINDINGS = [
        Binding("v", "next_view", "View"),
        Binding("s", "next_sort", "Sort"),
        Binding("d", "next_delta", "Delta"),
        Binding("m", "mark", "Mark"),
        Binding("i", "toggle_idle", "Idle"),
        Binding("c", "signal('cancel')", "Cancel query"),
        Binding("K", "signal('terminate')", "Terminate"),
    ]

    DEFAULT_CSS = """
    QueriesPane > #queries-status { height: 1; color: $text-muted; padding: 0 1; }
    QueriesPane > ContentSwitcher { height: 1fr; }
    QueriesPane StatementsTable, QueriesPane SessionsTable { height: 1fr; }
    QueriesPane LockTree { height: 1fr; padding: 0 1; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env = env
        self.database: Database = env.probe_context.target.databases[0]
        self.view = VIEWS[0]
        self.sort = SORT_COLUMNS[0]
        self.delta = DeltaMode.CUMULATIVE
        self.hide_idle = True
        self.sessions: list[Session] = []
        self.statements: list[Statement] = []
        self._reader: StatementsReader | None = None
        self._available: StatementsAvailability | None = None
        self._wake = Wakeup()
        self._error = ""
        self._conn: Any = None  # psycopg.AsyncConnection, imported lazily

    def compose(self) -> ComposeResult:
        yield Label("connecting...", id="queries-status")
        with ContentSwitcher(initial="statements"):
            yield StatementsTable(id="statements")
            yield SessionsTable(id="sessions")
            yield LockTree("no session is waiting on a lock", id="locks")

    def on_mount(self) -> None:
        self._poll()

    # -- polling ------------------------------------------------------------------------------

    @work(group="queries-poll", exit_on_error=False, description="Reading statements and sessions")
    async def _poll(self) -> None:
        while True:
            if self.is_on_screen:
                await self._read_once()
            await self._wake.wait(self.env.refresh_interval_s)

    async def _read_once(self) -> None:
        try:
            conn = await self._connection()
            if self._available is not None and self._available.usable and self._reader is not None:
                self.statements = await self._reader.read(conn, self.sort, self.delta)
            self.sessions = await read_sessions(conn)
            self._error = ""
        except CockpitError as exc:
            self._error = str(exc)
        except Exception as exc:  # a broken session: drop it, reconnect next time
            self._error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            await self._drop()
        self._show()

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = await connect_async(self.database, self.env.probe_context.policy)
            self._available = await availability(self._conn)
            if self._available.usable and self._available.schema is not None:
                self._reader = self._reader or StatementsReader(self._available.schema)
        return self._conn

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def on_unmount(self) -> None:
        await self._drop()

    # -- display --------------------------------------------------------------------------------

    def _visible_sessions(self) -> list[Session]:
        if not self.hide_idle:
            return self.sessions
        return [s for s in self.sessions if s.state != "idle"]

    def _show(self) -> None:
        thresholds = self.env.probe_context.thresholds
        self.query_one(StatementsTable).show(self.statements, thresholds.slow_query_ms)
        self.query_one(SessionsTable).show(
            self._visible_sessions(),
            long_s=thresholds.long_transaction_warn_s,
            idle_s=thresholds.idle_in_transaction_warn_s,
        )
        self.query_one(LockTree).show(lock_tree(self.sessions))
        self.query_one("#queries-status", Label).update(self._status_line())

    def _status_line(self) -> str:
        if self._error:
            return f"{self.database.name}: {self._error}"
        waiting = sum(1 for s in self.sessions if s.blocked_by)
        if self.view == "statements":
            guidance = self._available.guidance() if self._available else ""
            if self._available is not None and not self._available.usable:
                return f"{self.database.name}: {guidance}"
            mark = " (m: mark)" if self.delta is DeltaMode.SINCE_MARK and not self._has_mark() else ""
            extra = f"; {guidance}" if guidance else ""
            return (
                f"{self.database.name}: {len(self.statements)} statements by {self.sort}, "
                f"{self.delta.value}{mark}{extra}"
            )
        if self.view == "sessions":
            shown = len(self._visible_sessions())
            return (
                f"{self.database.name}: {shown} of {len(self.sessions)} sessions"
                f"{' (idle hidden, i: show)' if self.hide_idle else ''}, {waiting} waiting on locks"
            )
        return f"{self.database.name}: {waiting} sessions waiting on a lock"

    def _has_mark(self) -> bool:
        return self._reader is not None and self._reader.has_mark

    # -- keys -----------------------------------------------------------------------------------

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.query_one(ContentSwitcher).current = self.view
        self._show()

    def action_next_sort(self) -> None:
        self.sort = SORT_COLUMNS[(SORT_COLUMNS.index(self.sort) + 1) % len(SORT_COLUMNS)]
        self.refresh_now()

    def action_next_delta(self) -> None:
        modes = list(DeltaMode)
        self.delta = modes[(modes.index(self.delta) + 1) % len(modes)]
        if self._reader is not None:
            self.statements = self._reader.view(self.delta)
        self._show()

    def action_mark(self) -> None:
        if self._reader is not None:
            self._reader.mark()
            self.delta = DeltaMode.SINCE_MARK
            self.statements = self._reader.view(self.delta)
            self._show()

    def action_toggle_idle(self) -> None:
        self.hide_idle = not self.hide_idle
        self._show()

    def refresh_now(self) -> None:
        self._wake.now()

    def _signal_request(self, kind: Kind) -> ActionRequest:
        return ActionRequest(SIGNALS[kind], kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel and terminate are absent (not just disabled) when the guard would refuse."""
        if action == "signal":
            kind = str(parameters[0]) if parameters else "cancel"
            return self.env.guard.offers(self._signal_request(kind))  # type: ignore[arg-type]
        return True

    def action_signal(self, kind: Kind) -> None:
        pid = self.query_one(SessionsTable).selected_pid() if self.view == "sessions" else None
        session = next((s for s in self._visible_sessions() if s.pid == pid), None)
        if session is None:
            self.notify("select a session first (v: sessions view)", severity="warning")
            return
        request = request_for(kind, self.database, [session])
        database, policy = self.database, self.env.probe_context.policy

        def run(context: ActionContext) -> None:
            signal_sessions(context, kind, database, policy, [session])

        self.env.run_action(request, run)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        """The pane's view keys in the command palette (signals need a selected row)."""
        return [
            ("Queries: next view", "Statements, sessions, lock tree", self.action_next_view),
            ("Queries: mark now", "Deltas from this instant", self.action_mark),
        ]
