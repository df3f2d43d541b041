"""The Queries pane: top statements, live sessions, the lock tree, index hints, safe signals.

One kept session per database reads what the view on screen shows, every refresh while the
pane is on screen: statements (without texts), or sessions; index hints when their view opens,
at most once a minute. Switching views shows the view as last drawn, then reads fresh figures.
`v` switches view, `s` the sort, `d` the delta mode, `m` marks an instant, `/` filters (one
syntax for statements and sessions), enter opens a statement (text, EXPLAIN) or a session (all
of it). Cancel (`c`) and terminate (`K`) act on the selected session, in the sessions view or the
lock tree, `C` and `X` on every session the filter shows; all
are offered only when the guard would allow them, and re-check each session at execution
(backend_signals). `R` resets pg_stat_statements, guarded.
"""

from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from cockpit.actions.signals import Kind, request_for, signal_sessions
from cockpit.actions.statements_reset import reset_request, reset_statements
from cockpit.config import Database
from cockpit.db.live_session import Connection, LiveSession
from cockpit.db.sessions import database_named
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.index_hints import IndexHint, read_hints
from cockpit.probes.queries import (
    SORT_COLUMNS,
    DeltaMode,
    Session,
    Statement,
    StatementsAvailability,
    StatementsReader,
    availability,
    blocking,
    lock_tree,
    read_sessions,
)
from cockpit.probes.query_filter import QueryFilter, parse_filter
from screens.cadence import EveryRefresh
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from screens.row_detail import RowDetail
from screens.statement_detail import StatementDetail
from widgets.filter_box import FilterBox
from widgets.queries_tables import HintsTable, LockTree, SessionsTable, StatementsTable, session_details
from widgets.status_line import StatusLine
from widgets.view_switcher import ViewSwitcher

VIEWS = ("statements", "sessions", "locks", "hints")
SIGNALS = {"cancel": "queries.cancel", "terminate": "queries.terminate"}
HINTS_EVERY_S = 60.0
# Keys that only make sense in one view are hidden elsewhere: the footer stays short at 80x24.
VIEW_ACTIONS = {
    "signal": ("sessions", "locks"),  # the selected row's session, or the lock tree's node
    "signal_group": ("sessions",),
    "toggle_idle": ("sessions",),
    "next_sort": ("statements",),
    "next_delta": ("statements",),
    "mark": ("statements",),
    "reset_statements": ("statements",),
}


class QueriesPane(PollingPane):
    BINDINGS = [
        Binding("v", "next_view", "View"),
        Binding("s", "next_sort", "Sort"),
        Binding("d", "next_delta", "Delta"),
        Binding("m", "mark", "Mark"),
        Binding("i", "toggle_idle", "Idle"),
        Binding("slash", "edit_filter", "Filter"),
        Binding("c", "signal('cancel')", "Cancel query"),
        Binding("K", "signal('terminate')", "Terminate"),
        Binding("C", "signal_group('cancel')", "Cancel shown"),
        Binding("X", "signal_group('terminate')", "Terminate shown"),
        Binding("R", "reset_statements", "Reset stats"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    DEFAULT_CSS = """
    QueriesPane > ViewSwitcher { height: 1fr; }
    QueriesPane PaneTable { height: 1fr; }
    QueriesPane LockTree { height: 1fr; padding: 0 1; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.database: Database = env.probe_context.target.databases[0]
        self.session = LiveSession(self.database, env.probe_context.policy, on_connect=self._connected)
        self.view = VIEWS[0]
        self.sort = SORT_COLUMNS[0]
        self.delta = DeltaMode.CUMULATIVE
        self.hide_idle = True
        self.filter = QueryFilter()
        self.sessions: list[Session] = []
        self.statements: list[Statement] = []
        self.hints: list[IndexHint] = []
        self._hints_read_at = float("-inf")
        self._reader: StatementsReader | None = None
        self._available: StatementsAvailability | None = None
        self._error = ""

    def compose(self) -> ComposeResult:
        yield StatusLine("connecting...", id="queries-status")
        yield FilterBox(
            placeholder="user:NAME db:NAME min:100ms words   (enter: keep, esc: clear)",
            id="queries-filter",
        )
        with ViewSwitcher(initial="statements"):
            yield StatementsTable(id="statements")
            yield SessionsTable(id="sessions")
            yield LockTree("no session is waiting on a lock", id="locks")
            yield HintsTable(id="hints")

    def on_mount(self) -> None:
        every_refresh = EveryRefresh(lambda: self.env.refresh_interval_s)
        self.poll(self._read_once, every_refresh, description="Reading statements and sessions")

    # -- reading --------------------------------------------------------------------------------

    async def _read_once(self) -> None:
        try:
            await self.session.read(self._read)
            self._error = ""
        except CockpitError as exc:  # one line: no answer, a lost session, or none could be opened
            self._error = str(exc)
        self._show()

    async def _connected(self, conn: Connection) -> None:
        """A new session: is pg_stat_statements usable through it, and where."""
        self._available = await availability(conn)
        if self._available.usable and self._available.schema is not None:
            self._reader = self._reader or StatementsReader(self._available.schema)

    async def _read(self, conn: Connection) -> None:
        """What the view on screen shows: server time, CPU and bytes for nothing else."""
        view = self.view
        usable = self._available is not None and self._available.usable
        if view == "statements" and usable and self._reader is not None:
            self.statements = await self._reader.read(conn, self.sort, self.delta)
        if view in ("sessions", "locks"):
            self.sessions = await read_sessions(conn)
        if view == "hints" and time.monotonic() - self._hints_read_at > HINTS_EVERY_S:
            self.hints = await read_hints(conn)
            self._hints_read_at = time.monotonic()

    async def on_unmount(self) -> None:
        await self.session.aclose()

    # -- display --------------------------------------------------------------------------------

    def _visible_sessions(self) -> list[Session]:
        """The sessions on screen: the only ones a signal may target."""
        return [
            s
            for s in self.sessions
            if not (self.hide_idle and s.state == "idle") and self.filter.keeps_session(s)
        ]

    def _visible_statements(self) -> list[Statement]:
        if not self.filter.active:
            return self.statements  # every refresh at 1 s: no copy, no test per row
        return [s for s in self.statements if self.filter.keeps_statement(s)]

    def _show(self) -> None:
        """Update the view on screen only: a hidden table repainted is wasted work."""
        thresholds = self.env.probe_context.thresholds
        if self.view == "statements":
            table = self.query_one(StatementsTable)
            table.sorted_by_order(self.sort)
            table.show(self._visible_statements(), thresholds.slow_query_ms)
        elif self.view == "sessions":
            self.query_one(SessionsTable).show(
                self._visible_sessions(),
                long_s=thresholds.long_transaction_warn_s,
                idle_s=thresholds.idle_in_transaction_warn_s,
                blocking=blocking(self.sessions),
            )
        elif self.view == "locks":
            self.query_one(LockTree).show(lock_tree(self.sessions))
        else:
            self.query_one(HintsTable).show(self.hints)
        self.query_one("#queries-status", Label).update(self._status_line())

    def _status_line(self) -> str:
        line = self._view_line()
        if self.filter.active and self.view == "hints":
            return f"{line}; the filter (/{self.filter.describe()}) applies to statements and sessions"
        return line

    def _view_line(self) -> str:
        if self._error:
            return self._error  # one line that names the database
        waiting = sum(1 for s in self.sessions if s.blocked_by)
        if self.view == "statements":
            guidance = self._available.guidance() if self._available else ""
            if self._available is not None and not self._available.usable:
                return f"{self.database.name}: {guidance}"
            mark = " (m: mark)" if self.delta is DeltaMode.SINCE_MARK and not self._has_mark() else ""
            extra = f"; {guidance}" if guidance else ""
            top = f"top {len(self.statements)} statements by {self.sort}, {self.delta.value}{mark}{extra}"
            if self.filter.active:  # the filter named, so a short list is never read as the whole
                shown, total = len(self._visible_statements()), len(self.statements)
                return f"{self.database.name}: {shown} of {total} match {self.filter.describe()}; {top}"
            return f"{self.database.name}: {top}"
        if self.view == "sessions":
            shown = len(self._visible_sessions())
            matching = f" match {self.filter.describe()}" if self.filter.active else ""
            return (
                f"{self.database.name}: {shown} of {len(self.sessions)} sessions{matching}"
                f"{' (idle hidden, i: show)' if self.hide_idle else ''}, {waiting} waiting on locks"
            )
        if self.view == "hints":
            return f"{self.database.name}: {len(self.hints)} index hints (hints, not verdicts)"
        return f"{self.database.name}: {waiting} sessions waiting on a lock"

    def _has_mark(self) -> bool:
        return self._reader is not None and self._reader.has_mark

    # -- keys -----------------------------------------------------------------------------------

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.query_one(ViewSwitcher).show(self.view)
        self.refresh_bindings()
        # The table as it was last shown (its rendered lines are cached: the switch is cheap);
        # fresh figures a round trip later, read once that frame is on screen (a read's rows
        # parsed before it would delay it).
        self.query_one("#queries-status", Label).update(self._status_line())
        self.call_after_refresh(self.refresh_now)

    def action_edit_filter(self) -> None:
        self.query_one(FilterBox).open(self.filter.describe())

    def action_clear_filter(self) -> None:
        """esc: no filter any more, the box closed (from the box or from the table)."""
        box = self.query_one(FilterBox)
        if box.is_open or self.filter.active:
            box.close()
            self._focus_view()
            self.filter = QueryFilter()
            self._show()

    def _focus_view(self) -> None:
        self.query_one(ViewSwitcher).focus_shown()

    @on(FilterBox.Changed)
    def _filter_typed(self, event: FilterBox.Changed) -> None:
        """As you type: the rows follow each edit that parses; one that does not is said beside."""
        wanted = self.query_one(FilterBox).read(event.value, parse_filter)
        if wanted is not None:
            self.filter = wanted
            self._show()

    @on(FilterBox.Submitted)
    def _filter_submitted(self, event: FilterBox.Submitted) -> None:
        wanted = self.query_one(FilterBox).read(event.value, parse_filter, submitted=True)
        if wanted is None:
            return
        self.filter = wanted
        self._focus_view()
        self._show()

    @on(FilterBox.Cleared)
    def _filter_cleared(self) -> None:
        self.action_clear_filter()

    def action_next_sort(self) -> None:
        self.sort = SORT_COLUMNS[(SORT_COLUMNS.index(self.sort) + 1) % len(SORT_COLUMNS)]
        self.refresh_now()

    def action_next_delta(self) -> None:
        modes = list(DeltaMode)
        self.delta = modes[(modes.index(self.delta) + 1) % len(modes)]
        if self._reader is not None:
            self.statements = self._reader.view(self.delta, self.sort)
        self._show()

    def action_mark(self) -> None:
        if self._reader is not None:
            self._reader.mark()
            self.delta = DeltaMode.SINCE_MARK
            self.statements = self._reader.view(self.delta, self.sort)
            self._show()

    def action_toggle_idle(self) -> None:
        self.hide_idle = not self.hide_idle
        self._show()

    def _signal_request(self, kind: Kind) -> ActionRequest:
        return ActionRequest(SIGNALS[kind], kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Mutations are absent (not just disabled) when the guard would refuse; keys of another
        view are hidden."""
        if action in VIEW_ACTIONS and self.view not in VIEW_ACTIONS[action]:
            return False
        if action in ("signal", "signal_group"):
            kind = str(parameters[0]) if parameters else "cancel"
            return self.env.guard.offers(self._signal_request(kind))  # type: ignore[arg-type]
        if action == "reset_statements":
            return self.env.guard.offers(reset_request(self.database))
        return True

    def action_signal(self, kind: Kind) -> None:
        """The session under the cursor: a sessions row, or the lock tree's selected node (the
        same Session read, so the same pid and backend_start re-check at execution)."""
        if self.view == "locks":
            session = self.query_one(LockTree).selected_session()
        else:
            pid = self.query_one(SessionsTable).selected_pid() if self.view == "sessions" else None
            session = next((s for s in self._visible_sessions() if s.pid == pid), None)
        if session is None:
            self.notify("select a session first (v: sessions view, or the lock tree)", severity="warning")
            return
        self._send(kind, [session])

    def action_signal_group(self, kind: Kind) -> None:
        """Every session the filter shows, listed exactly in the confirmation."""
        if not self.filter.active:
            self.notify(
                "set a filter first (/): a group signal acts on the sessions it shows", severity="warning"
            )
            return
        sessions = self._visible_sessions()
        if not sessions:
            self.notify("the filter shows no session", severity="warning")
            return
        self._send(kind, sessions)

    def _send(self, kind: Kind, sessions: list[Session]) -> None:
        request = request_for(kind, self.database, sessions)
        database, policy = self.database, self.env.action_policy()

        def run(context: ActionContext) -> None:
            signal_sessions(context, kind, database, policy, sessions)

        self.env.run_action(request, run)

    def action_reset_statements(self) -> None:
        schema = self._available.schema if self._available else None
        if schema is None:
            self.notify("pg_stat_statements is not available here", severity="warning")
            return
        database, policy = self.database, self.env.action_policy()

        def run(context: ActionContext) -> None:
            reset_statements(context, database, policy, schema)
            self.app.call_from_thread(self._forget_baselines)

        self.env.run_action(reset_request(self.database), run)

    def _forget_baselines(self) -> None:
        """After a reset, deltas against the old numbers would be negative nonsense."""
        if self._reader is not None:
            self._reader = StatementsReader(self._reader.schema)
        self.refresh_now()

    # -- statement detail ---------------------------------------------------------------------

    @on(StatementsTable.RowSelected, "StatementsTable")
    def _open_statement(self, event: StatementsTable.RowSelected) -> None:
        event.stop()  # a statement has its own detail, not the generic row view
        statement = next((s for s in self.statements if s.key == event.key), None)
        if statement is not None:
            self.open_statement(statement)

    @on(SessionsTable.RowSelected, "SessionsTable")
    def _open_session(self, event: SessionsTable.RowSelected) -> None:
        """The whole session: its query, wait, who it waits for and who waits for it, timings."""
        event.stop()
        session = next((s for s in self.sessions if str(s.pid) == event.key), None)
        if session is not None:
            self._show_session(session)

    @on(LockTree.Opened)
    def _open_tree_node(self, event: LockTree.Opened) -> None:
        self._show_session(event.session)

    def _show_session(self, session: Session) -> None:
        self.app.push_screen(
            RowDetail(f"session {session.pid}", session_details(session, self.sessions)),
            lambda _: self._focus_view(),
        )

    @on(HintsTable.RowSelected, "HintsTable")
    def _show_hint(self, event: HintsTable.RowSelected) -> None:
        """At 80 columns the reason is cut: enter shows it whole."""
        event.stop()
        hint = next((h for h in self.hints if h.key == event.key), None)
        if hint is not None:
            self.notify(f"{hint.relation}: {hint.why}", title=f"Hint: {hint.kind}", timeout=15)

    def open_statement(self, statement: Statement) -> None:
        self.app.push_screen(
            StatementDetail(
                statement,
                self._database_named(statement.database),
                self.env,
                self.env.probe_context.settings.explain_timeout_ms,
            ),
            lambda _: self._focus_view(),
        )

    def _database_named(self, dbname: str) -> Database | None:
        """The target's database whose connection reaches ``dbname`` (EXPLAIN must run there)."""
        conn = self.session.connection
        if conn is not None and conn.info.dbname == dbname:
            return self.database
        return database_named(self.env.probe_context.target.databases, dbname)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        """The pane's view keys in the command palette (signals need a selected row)."""
        return [
            ("Queries: next view", "Statements, sessions, lock tree, index hints", self.action_next_view),
            ("Queries: mark now", "Deltas from this instant", self.action_mark),
            ("Queries: filter", "user:NAME db:NAME min:30s words", self.action_edit_filter),
        ]
