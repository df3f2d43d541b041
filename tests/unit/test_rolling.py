"""The rolling window behind p50/p95, error rate and the sparkline."""

from __future__ import annotations

from datetime import timedelta

from cockpit.probes.rolling import RollingWindow, Sample, percentile


def test_percentiles_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95
    assert percentile([], 0.95) is None and percentile([7.0], 0.95) == 7.0


def test_window_forgets_old_samples_and_counts_errors() -> None:
    window = RollingWindow(span=timedelta(seconds=60))
    for i in range(50):
        window.add(Sample(at=float(i), ok=i % 10 != 0, latency_ms=float(i)))
    assert len(window) == 50 and window.error_rate_pct() == 10.0
    window.add(Sample(at=200.0, ok=False, latency_ms=None, detail="timeout"))
    assert len(window) == 1 and window.error_rate_pct() == 100.0
    assert window.last_success is None and window.p95() is None


def test_seeding_from_history_and_trend() -> None:
    history = [
        Sample(at=3.0, ok=True, latency_ms=30.0),
        Sample(at=1.0, ok=True, latency_ms=10.0),
        Sample(at=2.0, ok=False, latency_ms=None),
    ]
    window = RollingWindow(samples=history)
    assert window.trend(5) == [10.0, None, 30.0]
    assert window.last_success is not None and window.last_success.at == 3.0
    assert window.p50() == 10.0 and window.p95() == 30.0
