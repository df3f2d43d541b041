"""The health pane's two tables: endpoints and databases, updated in place.

Narrow terminals get the priority columns only (see PaneTable); the reason for a status is
always in the findings table below, so nothing is lost at 80x24.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from rich.text import Text

from cockpit.model import Severity
from cockpit.probes.rows import EndpointStatus, PgHealth
from cockpit.units import format_duration, format_size
from widgets.findings_table import severity_text
from widgets.keyed_table import Cell
from widgets.pane_table import PaneTable
from widgets.sparkline import sparkline


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f}ms"
    return f"{value:.0f}ms" if value < 10_000 else f"{value / 1000:.0f}s"


def _ago(since: timedelta | None) -> str:
    return "never" if since is None else format_duration(since)


class EndpointTable(PaneTable):
    NARROW = ("endpoint", "status", "last", "p95", "err%", "trend", "ok ago")
    WIDE_EXTRA = ("p50", "reason")
    FLEX = "reason"

    def show(self, statuses: Sequence[EndpointStatus], *, complete: bool = True) -> None:
        """All endpoints (``complete``), or just the ones that changed."""
        self.put_rows(
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


class DatabaseTable(PaneTable):
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
                "xact": "-" if health.oldest_xact_s is None else format_duration(health.oldest_xact_s),
                "idle-tx": "-"
                if health.oldest_idle_xact_s is None
                else format_duration(health.oldest_idle_xact_s),
                "blocked": str(health.blocked) if health.reachable else "-",
                "hit%": "-" if health.cache_hit is None else f"{100 * health.cache_hit:.1f}",
                "repl": (
                    "-"
                    if not health.reachable
                    else "standby cut off"  # no WAL arriving: no lag to show (the finding says why)
                    if health.receiver_lost
                    else f"standby {_ms(None if health.replay_lag_s is None else health.replay_lag_s * 1000)}"
                    if health.standby
                    else f"primary+{health.replicas}"
                ),
                "xid%": f"{health.wraparound_pct:.0f}" if health.reachable else "-",
                "mean": _ms(health.mean_statement_ms) if health.mean_statement_ms is not None else "-",
                "size": format_size(health.size_bytes),
                "version": health.version or "-",
                "uptime": format_duration(timedelta(seconds=health.uptime_s)) if health.reachable else "-",
            }
        self.put_rows(rows)
