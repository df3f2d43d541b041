"""The health pane's two tables: endpoints and databases, updated in place.

Narrow terminals (under 110 columns) get the priority columns only; the reason for a status is
always in the findings table below, so nothing is lost at 80x24.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from rich.text import Text
from textual.widgets import DataTable

from cockpit.durations import format_duration
from cockpit.model import Severity
from cockpit.probes.rows import EndpointStatus, PgHealth
from widgets.findings_table import severity_text
from widgets.sparkline import sparkline

WIDE = 110
Cell = Text | str


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f}ms"
    return f"{value:.0f}ms" if value < 10_000 else f"{value / 1000:.0f}s"


def _ago(since: timedelta | None) -> str:
    return "never" if since is None else format_duration(since)


def _bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f}{unit}"
        size /= 1024
    return "-"


class _InPlaceTable(DataTable[Cell]):
    """A keyed table whose columns depend on the width; rows are updated cell by cell."""

    NARROW: tuple[str, ...] = ()
    WIDE_EXTRA: tuple[str, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._wide: bool | None = None
        self._rows: dict[str, dict[str, Cell]] = {}

    def _columns(self) -> tuple[str, ...]:
        return self.NARROW + (self.WIDE_EXTRA if self._wide else ())

    def on_resize(self) -> None:
        wide = self.app.size.width >= WIDE
        if wide != self._wide:
            self._wide = wide
            self.clear(columns=True)
            for column in self._columns():
                self.add_column(column.upper(), key=column)
            for key, cells in self._rows.items():
                self.add_row(*(cells[c] for c in self._columns()), key=key)

    def _put(self, rows: dict[str, dict[str, Cell]], *, complete: bool = True) -> None:
        """Upsert ``rows``; when ``complete``, rows not given are removed."""
        self._rows = rows if complete else {**self._rows, **rows}
        if self._wide is None:
            self.on_resize()
            return
        if complete:
            for row_key in [k for k in list(self.rows) if k.value not in rows]:
                self.remove_row(row_key)
        existing = {k.value for k in self.rows}
        for key, cells in rows.items():
            if key not in existing:
                self.add_row(*(cells[c] for c in self._columns()), key=key)
                continue
            for column in self._columns():
                if self.get_cell(key, column) != cells[column]:
                    self.update_cell(key, column, cells[column])


class EndpointTable(_InPlaceTable):
    NARROW = ("endpoint", "status", "last", "p95", "err%", "trend", "ok ago")
    WIDE_EXTRA = ("p50", "reason")

    def show(self, statuses: Sequence[EndpointStatus], *, complete: bool = True) -> None:
        """All endpoints (``complete``), or just the ones that changed."""
        self._put(
            {
                s.name: {
                    "endpoint": s.name,
                    "status": severity_text(s.severity),
                    "last": _ms(s.last_latency_ms),
                    "p95": _ms(s.p95_ms),
                    "err%": "-" if s.error_rate_pct is None else f"{s.error_rate_pct:.0f}",
                    "trend": sparkline(s.trend, 12),
                    "ok ago": _ago(s.since_success),
                    "p50": _ms(s.p50_ms),
                    "reason": s.reason,
                }
                for s in statuses
            },
            complete=complete,
        )


class DatabaseTable(_InPlaceTable):
    NARROW = ("database", "status", "conn", "xact", "idle-tx", "blocked", "hit%", "repl")
    WIDE_EXTRA = ("xid%", "mean", "size", "version", "uptime")

    def show(self, readings: Sequence[tuple[PgHealth, Severity]]) -> None:
        rows: dict[str, dict[str, Cell]] = {}
        for health, severity in readings:
            status = severity_text(severity)
            if not health.reachable:
                label = "RECONNECTING" if health.reconnecting else "DOWN"
                status = Text(label, style="bold red")
            rows[health.name] = {
                "database": health.name,
                "status": status,
                "conn": f"{health.connections}/{health.max_connections}" if health.reachable else "-",
                "xact": "-" if health.oldest_xact_s is None else f"{health.oldest_xact_s:.0f}s",
                "idle-tx": "-" if health.oldest_idle_xact_s is None else f"{health.oldest_idle_xact_s:.0f}s",
                "blocked": str(health.blocked) if health.reachable else "-",
                "hit%": "-" if health.cache_hit is None else f"{100 * health.cache_hit:.1f}",
                "repl": (
                    "-"
                    if not health.reachable
                    else f"standby {_ms(None if health.replay_lag_s is None else health.replay_lag_s * 1000)}"
                    if health.standby
                    else f"primary+{health.replicas}"
                ),
                "xid%": f"{health.wraparound_pct:.0f}" if health.reachable else "-",
                "mean": _ms(health.mean_statement_ms) if health.mean_statement_ms is not None else "-",
                "size": _bytes(health.size_bytes),
                "version": health.version or "-",
                "uptime": format_duration(timedelta(seconds=health.uptime_s)) if health.reachable else "-",
            }
        self._put(rows)
