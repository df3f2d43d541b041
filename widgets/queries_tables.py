"""The Queries pane's tables: statements, sessions, and the lock tree as indented text.

Who waits on whom is said in words (WAITING for 1072, BLOCKING 2), not by colour alone: under
NO_COLOR a blocked session's red is a dim grey like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from cockpit.probes.index_hints import IndexHint
from cockpit.probes.queries import Session, Statement, blast_radius, blocking, short
from cockpit.units import format_duration
from cockpit.visible_text import visible
from widgets.keyed_table import Cell
from widgets.pane_table import PaneTable


def _ms(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.0f}us"
    if value >= 10_000:
        return f"{value / 1000:.1f}s"
    return f"{value:.1f}ms" if value < 10 else f"{value:.0f}ms"


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(seconds)


# The query column is cut to the width anyway; a longer cell is only more to compare and
# measure on every refresh. The statement detail (enter) shows the whole text.
QUERY_WIDTH = 100


# The statements table's column for each sort order (cockpit.probes.queries.SORT_COLUMNS).
SORT_COLUMN = {
    "total_exec_time": "total",
    "mean_exec_time": "mean",
    "calls": "calls",
    "rows": "rows",
    "shared_blks_read": "read",
    "temp_blks_written": "temp",
}


class StatementsTable(PaneTable):
    """Top statements; those over the slow threshold are highlighted; the sort column marked."""

    NARROW = ("mean", "calls", "total", "query")
    WIDE_EXTRA = ("rows", "read", "temp", "user", "database")
    SORTED_BY = "total"

    def sorted_by_order(self, order: str) -> None:
        """The rows come sorted by ``order`` (a pg_stat_statements column)."""
        self.sort_by(SORT_COLUMN[order])

    def show(self, statements: Sequence[Statement], slow_ms: float) -> None:
        def cells(s: Statement) -> dict[str, Cell]:
            return {
                "mean": Text(_ms(s.mean_ms), style="bold yellow" if s.mean_ms > slow_ms else ""),
                "calls": f"{s.calls:,}",
                "total": _ms(s.total_ms),
                "query": short(s.text or f"(queryid {s.queryid})", QUERY_WIDTH),
                "rows": f"{s.rows:,}",
                "read": f"{s.shared_blks_read:,}",
                "temp": f"{s.temp_blks_written:,}",
                "user": s.username,
                "database": s.database,
            }

        rows: dict[str, dict[str, Cell]] = {}
        for s in statements:
            key = s.key
            rows[key] = self.cells_of(key, (s, slow_ms), partial(cells, s))
        self.put_rows(rows)


def lock_words(session: Session, blocks: Sequence[int]) -> str:
    """ "WAITING for 1072", "BLOCKING 2", both, or "-": the session's place in the lock tree."""
    words = []
    if session.blocked_by:
        words.append("WAITING for " + ",".join(str(pid) for pid in session.blocked_by))
    if blocks:
        words.append(f"BLOCKING {len(blocks)}")
    return ", ".join(words) or "-"


class SessionsTable(PaneTable):
    """Client sessions, oldest transaction first; long transactions and idle-in-transaction
    highlighted by threshold; who waits for whom in words."""

    NARROW = ("pid", "user", "state", "xact", "locks", "query")
    WIDE_EXTRA = ("database", "application", "client", "wait", "query age")
    SORTED_BY = "xact"  # activity.sql: ORDER BY xact_start, the oldest transaction first

    def show(
        self,
        sessions: Sequence[Session],
        *,
        long_s: float,
        idle_s: float,
        blocking: Mapping[int, Sequence[int]] | None = None,
    ) -> None:
        """``blocking``: the pids each session keeps waiting (queries.blocking of every session,
        the ones the filter hides included)."""
        blocking = blocking or {}
        rows: dict[str, dict[str, Cell]] = {}
        for s in sessions:
            idle_tx = s.state.startswith("idle in transaction")
            age = s.xact_age_s or 0
            style = ""
            if (idle_tx and age > idle_s) or (not idle_tx and s.xact_start and age > long_s):
                style = "bold yellow"
            if s.blocked_by:
                style = "bold red"
            blocks = blocking.get(s.pid, ())
            rows[str(s.pid)] = {
                "pid": str(s.pid),
                "user": s.user,
                "state": Text(s.state or "-", style=style),
                "xact": Text(_age(s.xact_age_s), style=style),
                "locks": Text(lock_words(s, blocks), style="bold" if (s.blocked_by or blocks) else ""),
                "query": short(s.query, QUERY_WIDTH),
                "database": s.database,
                "application": s.application,
                "client": s.client,
                "wait": s.wait or "-",
                "query age": _age(s.query_age_s),
            }
        self.put_rows(rows)

    def selected_pid(self) -> int | None:
        key = self.selected_key()
        return int(key) if key is not None else None


class HintsTable(PaneTable):
    """Index hints, labelled as such: the operator decides, the cockpit never creates an index."""

    NARROW = ("hint", "relation", "why")
    WIDE_EXTRA = ()

    def show(self, hints: Sequence[IndexHint]) -> None:
        self.put_rows(
            {
                h.key: {"hint": Text(h.kind, style="italic"), "relation": h.relation, "why": h.why}
                for h in hints
            }
        )


class LockTree(Static, can_focus=True):
    """Who blocks whom, indented; a root blocker's blast radius is the rows below it.

    A cursor (up/down) selects a session, marked ``▶`` in reverse video, so `c` and `K` act on
    the blocker one sees, not on a row of another view. It stays on its pid from one refresh to
    the next. Focusable, so the pane's keys stay live while the tree is the view on screen.
    """

    DEFAULT_CSS = """
    LockTree { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("home", "move(-1000000)", "First", show=False),
        Binding("end", "move(1000000)", "Last", show=False),
        Binding("enter", "open", "Show session", show=False),
    ]

    class Opened(Message):
        """Enter on a node: the pane shows that session whole (handled by QueriesPane)."""

        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lines: list[tuple[int, Session | None]] = []
        self.waiting: dict[int, int] = {}
        self.selected_pid: int | None = None

    def show(self, lines: Sequence[tuple[int, Session | None]]) -> None:
        """``lines``: queries.lock_tree's (depth, session) pairs, each blocker's waiters below it."""
        self.lines = list(lines)
        self.waiting = _below(self.lines)
        pids = self._pids()
        if self.selected_pid not in pids:
            self.selected_pid = pids[0] if pids else None
        self._draw()

    def _pids(self) -> list[int]:
        return [session.pid for _, session in self.lines if session is not None]

    def selected_session(self) -> Session | None:
        return next((s for _, s in self.lines if s is not None and s.pid == self.selected_pid), None)

    def action_open(self) -> None:
        session = self.selected_session()
        if session is not None:
            self.post_message(self.Opened(session))

    def action_move(self, step: int) -> None:
        pids = self._pids()
        if not pids:
            return
        index = pids.index(self.selected_pid) if self.selected_pid in pids else 0
        self.selected_pid = pids[max(0, min(len(pids) - 1, index + step))]
        self._draw()

    def _draw(self) -> None:
        if not self.lines:
            self.update("no session is waiting on a lock")
            return
        text = Text()  # one line a session, cut at the edge (text-wrap: nowrap)
        for depth, session in self.lines:
            indent = "  " * depth + ("└ " if depth else "")
            if session is None:
                text.append(f"  {indent}(a backend that is not a client session)\n", style="dim")
                continue
            chosen = session.pid == self.selected_pid
            line = Text("▶ " if chosen else "  ")
            blocks = self.waiting.get(session.pid, 0)
            role = " ".join(["WAITING"] * bool(session.blocked_by) + [f"BLOCKING {blocks}"] * bool(blocks))
            line.append(visible(f"{indent}{session.pid} {session.user} {session.state} {role}"), style="bold")
            line.append(visible(f": {short(session.query, 60)}"))
            if chosen:
                line.stylize("reverse")
            text.append_text(line)
            text.append("\n")
        self.update(text)


def _below(lines: Sequence[tuple[int, Session | None]]) -> dict[int, int]:
    """How many sessions wait on each node of a lock tree, directly or not: the lines under it
    that are deeper than it (its blast radius)."""
    counts: dict[int, int] = {}
    for index, (depth, session) in enumerate(lines):
        if session is None:
            continue
        below = 0
        for deeper, _ in lines[index + 1 :]:
            if deeper <= depth:
                break
            below += 1
        counts[session.pid] = below
    return counts


def session_details(session: Session, sessions: Sequence[Session]) -> list[tuple[str, Cell]]:
    """Every fact about ``session`` for its detail view (enter): whole, one per line, including
    who it waits for and who waits for it (from ``sessions``, every session read)."""
    by_pid = {s.pid: s for s in sessions}
    kept_waiting = blocking(sessions).get(session.pid, [])

    def who(pids: Sequence[int]) -> str:
        if not pids:
            return "-"
        lines = []
        for pid in pids:
            other = by_pid.get(pid)
            about = (
                f"{other.user}, {other.state or '-'}: {short(other.query, 60)}"
                if other
                else "not a client session"
            )
            lines.append(f"{pid} ({about})")
        return "\n".join(lines)

    def when(moment: datetime | None, age: float | None = None) -> str:
        if moment is None:
            return "-"
        return f"{moment.isoformat(sep=' ', timespec='seconds')}" + (
            f" ({_age(age)} ago)" if age is not None else ""
        )

    radius = blast_radius(sessions, session.pid)
    blocks = who(kept_waiting) + (
        f"\n{radius} sessions wait on it in all" if radius > len(kept_waiting) else ""
    )
    return [
        ("pid", str(session.pid)),
        ("user", session.user),
        ("database", session.database),
        ("application", session.application or "-"),
        ("client", session.client),
        ("state", session.state or "-"),
        ("wait event", session.wait or "-"),
        ("waiting for", Text(who(session.blocked_by), style="bold" if session.blocked_by else "")),
        ("blocking", Text(blocks, style="bold" if kept_waiting else "")),
        ("backend start", when(session.backend_start)),
        ("transaction start", when(session.xact_start, session.xact_age_s)),
        ("query start", when(session.query_start, session.query_age_s)),
        ("query", session.query or "-"),
    ]
