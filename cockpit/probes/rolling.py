"""A rolling window of samples for one subject: p50/p95, error rate, a trend, last success.

Kept in memory by the pane, seeded from the state store's history so the numbers survive a
restart; ``cockpit check`` builds the same window from history, so both agree.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

DEFAULT_SPAN = timedelta(minutes=15)
MAX_SAMPLES = 1000


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation: when (epoch seconds), whether it succeeded, how long it took."""

    at: float
    ok: bool
    latency_ms: float | None
    detail: str = ""


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (what dashboards show); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class RollingWindow:
    """The samples of the last ``span`` (at most ``MAX_SAMPLES``)."""

    def __init__(self, span: timedelta = DEFAULT_SPAN, samples: Iterable[Sample] = ()) -> None:
        self.span = span.total_seconds()
        self._samples: deque[Sample] = deque(maxlen=MAX_SAMPLES)
        for sample in sorted(samples, key=lambda s: s.at):
            self.add(sample)

    def add(self, sample: Sample) -> None:
        self._samples.append(sample)
        horizon = sample.at - self.span
        while self._samples and self._samples[0].at < horizon:
            self._samples.popleft()

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def last(self) -> Sample | None:
        return self._samples[-1] if self._samples else None

    @property
    def last_success(self) -> Sample | None:
        return next((s for s in reversed(self._samples) if s.ok), None)

    def latencies(self) -> list[float]:
        return [s.latency_ms for s in self._samples if s.ok and s.latency_ms is not None]

    def p50(self) -> float | None:
        return percentile(self.latencies(), 0.50)

    def p95(self) -> float | None:
        return percentile(self.latencies(), 0.95)

    def error_rate_pct(self) -> float | None:
        if not self._samples:
            return None
        failed = sum(1 for s in self._samples if not s.ok)
        return 100.0 * failed / len(self._samples)

    def trend(self, points: int) -> list[float | None]:
        """The last ``points`` latencies, None where the request failed (for a sparkline)."""
        recent = list(self._samples)[-points:]
        return [s.latency_ms if s.ok else None for s in recent]
