"""The typed rows health probes return: what a pane's tables show, and `check`'s snapshot rows.

Plain data, so widgets can import them without reaching drivers or config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cockpit.model import Severity


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    """A row of the health pane's endpoint table (and of ``cockpit check``'s snapshot)."""

    name: str
    url: str
    severity: Severity
    reason: str
    last_latency_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    error_rate_pct: float | None
    trend: list[float | None]
    since_success: timedelta | None


@dataclass(frozen=True, slots=True)
class PgHealth:
    """One reading of one database; ``error`` set means it was not reachable."""

    name: str
    reachable: bool
    error: str = ""
    reconnecting: bool = False
    query_ms: float | None = None
    version: str = ""
    uptime_s: float = 0.0
    connections: int = 0
    max_connections: int = 0
    states: dict[str, int] = field(default_factory=dict)
    oldest_xact_s: float | None = None
    oldest_idle_xact_s: float | None = None
    blocked: int = 0
    cache_hit: float | None = None
    xid_age: int = 0
    freeze_max_age: int = 0
    standby: bool = False
    replay_lag_s: float | None = None
    # A standby that has streamed since it started, and its WAL receiver's status as
    # pg_stat_wal_receiver says it (None: no receiver running; "unknown": not ours to see).
    streamed: bool = False
    wal_receiver: str | None = None
    replicas: int = 0
    slots: list[dict[str, Any]] = field(default_factory=list)
    statements_installed: bool = False
    mean_statement_ms: float | None = None
    size_bytes: int | None = None

    @property
    def receiver_lost(self) -> bool:
        """A streaming standby whose WAL stopped arriving: its lag cannot be known."""
        return self.standby and self.streamed and self.wal_receiver not in ("streaming", "unknown")

    @property
    def connections_pct(self) -> float:
        return 100.0 * self.connections / self.max_connections if self.max_connections else 0.0

    @property
    def wraparound_pct(self) -> float:
        return 100.0 * self.xid_age / self.freeze_max_age if self.freeze_max_age else 0.0
