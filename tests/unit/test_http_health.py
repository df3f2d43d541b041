"""HTTP health findings from a window of samples: the runbooks' thresholds (the probes against
real servers are in tests/integration/test_http_health.py)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from cockpit.config import HealthEndpoint, Thresholds
from cockpit.model import Severity
from cockpit.probes.http import judge
from cockpit.probes.rolling import RollingWindow

EXPECT = {"status": "ok", "database": "connected"}


def endpoint(url: str, **options: object) -> HealthEndpoint:
    return HealthEndpoint(
        name="api",
        url=url,
        timeout_s=options.pop("timeout_s", 3.0),  # type: ignore[arg-type]
        expect_json=options.pop("expect_json", EXPECT),
        **options,
    )  # type: ignore[arg-type]


async def test_judge_uses_the_runbooks_thresholds() -> None:
    from cockpit.probes.rolling import Sample

    now = time.time()
    window = RollingWindow(
        timedelta(minutes=15),
        [
            Sample(now - i, ok=i != 0, latency_ms=600.0 if i else None, detail="timeout after 5s")
            for i in range(50)
        ],
    )
    status, findings = judge(endpoint("http://x/ok"), window, Thresholds())
    by_check = {f.check: f for f in findings}
    assert by_check["http.status"].severity is Severity.CRIT
    assert by_check["http.latency_p95"].severity is Severity.WARN  # 600 ms > 500 ms
    assert by_check["http.error_rate"].severity is Severity.WARN  # 2% > 1%
    assert status.severity is Severity.CRIT and status.reason == "timeout after 5s"
    assert status.trend[-1] is None and status.since_success is not None


@pytest.mark.parametrize(
    "errors,expected",
    [(0, Severity.OK), (1, Severity.OK), (2, Severity.WARN), (5, Severity.WARN), (6, Severity.CRIT)],
)
def test_error_rate_levels(errors: int, expected: Severity) -> None:
    from cockpit.probes.rolling import Sample

    now = time.time()
    window = RollingWindow(
        timedelta(minutes=15), [Sample(now - i, ok=i >= errors, latency_ms=10.0) for i in range(100)]
    )
    findings = {f.check: f for f in judge(endpoint("http://x/ok"), window, Thresholds())[1]}
    assert findings["http.error_rate"].severity is expected  # above 1% warns, above 5% is crit
