"""The Queries pane's tables: statements, sessions, and the lock tree as indented text."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from rich.text import Text
from textual.widgets import Static

from cockpit.probes.index_hints import IndexHint
from cockpit.probes.queries import Session, Statement, short
from widgets.in_place_table import Cell, InPlaceTable
from widgets.verbatim import visible


def _ms(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.0f}us"
    if value >= 10_000:
        return f"{value / 1000:.1f}s"
    return f"{value:.1f}ms" if value < 10 else f"{value:.0f}ms"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


# A DataTable renders whole rows before cropping: a wider query column costs every repaint.
# The statement detail (enter) shows the whole text.
QUERY_WIDTH = 100


class StatementsTable(InPlaceTable):
    """Top statements; those over the slow threshold are highlighted."""

    NARROW = ("mean", "calls", "total", "query")
    WIDE_EXTRA = ("rows", "read", "temp", "user", "database")

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
        self._put(rows)


class SessionsTable(InPlaceTable):
    """Client sessions; long transactions and idle-in-transaction highlighted by threshold."""

    NARROW = ("pid", "user", "state", "xact", "query")
    WIDE_EXTRA = ("database", "application", "client", "wait", "query age")

    def show(self, sessions: Sequence[Session], *, long_s: float, idle_s: float) -> None:
        rows: dict[str, dict[str, Cell]] = {}
        for s in sessions:
            idle_tx = s.state.startswith("idle in transaction")
            age = s.xact_age_s or 0
            style = ""
            if (idle_tx and age > idle_s) or (not idle_tx and s.xact_start and age > long_s):
                style = "bold yellow"
            if s.blocked_by:
                style = "bold red"
            rows[str(s.pid)] = {
                "pid": str(s.pid),
                "user": s.user,
                "state": Text(s.state or "-", style=style),
                "xact": Text(_age(s.xact_age_s), style=style),
                "query": short(s.query, QUERY_WIDTH),
                "database": s.database,
                "application": s.application,
                "client": s.client,
                "wait": s.wait or "-",
                "query age": _age(s.query_age_s),
            }
        self._put(rows)

    def selected_pid(self) -> int | None:
        key = self.selected_key()
        return int(key) if key is not None else None


class HintsTable(InPlaceTable):
    """Index hints, labelled as such: the operator decides, the cockpit never creates an index."""

    NARROW = ("hint", "relation", "why")
    WIDE_EXTRA = ()

    def show(self, hints: Sequence[IndexHint]) -> None:
        self._put(
            {
                h.key: {"hint": Text(h.kind, style="italic"), "relation": h.relation, "why": h.why}
                for h in hints
            }
        )


class LockTree(Static, can_focus=True):
    """Who blocks whom, indented; a root blocker's blast radius is the rows below it.

    Focusable, so the pane's keys stay live while the tree is the view on screen.
    """

    def show(self, lines: Sequence[tuple[int, Session | None]]) -> None:
        if not lines:
            self.update("no session is waiting on a lock")
            return
        text = Text()
        for depth, session in lines:
            indent = "  " * depth + ("└ " if depth else "")
            if session is None:
                text.append(f"{indent}(a backend that is not a client session)\n", style="dim")
                continue
            style = "bold red" if depth == 0 else ""
            text.append(visible(f"{indent}{session.pid} {session.user} {session.state}: "), style=style)
            text.append(visible(short(session.query, 60)) + "\n")
        self.update(text)
