"""`cockpit check`'s plain output as a Nagios plugin's: status line, perfdata, then the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cockpit.check import CheckReport
from cockpit.model import Finding, Severity, Snapshot, measured
from cockpit.units import utc_minute, utc_minute_of


def report(*findings: Finding, problems_only: bool = False) -> CheckReport:
    return CheckReport([Snapshot(pane="health", findings=findings)], problems_only=problems_only)


def test_the_first_line_is_the_status_a_summary_and_perfdata() -> None:
    found = report(
        measured("http.latency_p95", "api", 2500.5, "p95 2500 ms", warn=500, crit=2000),
        measured("postgres.connections", "app", 12, "12 of 100 connections", warn=80, crit=95),
        Finding("queries.slow_statement", "app:1", Severity.WARN, "mean 900 ms: SELECT a || b", value=1.5e7),
        Finding("postgres.reachable", "app", Severity.OK, "reachable"),  # no value: no perfdata
    )
    first, header, *rows = found.as_table().splitlines()
    assert first == (
        "OPS-COCKPIT CRITICAL - 1 critical, 1 warning of 4 checks: api: p95 2500 ms; "
        "app:1: mean 900 ms: SELECT a \u00a6\u00a6 b"
        " | 'api http.latency_p95'=2500.5ms;500;2000 'app postgres.connections'=12%;80;95"
        " 'app:1 queries.slow_statement'=15000000ms;;"
    )
    assert header.split()[:4] == ["PANE", "CHECK", "SUBJECT", "SEVERITY"] and len(rows) == 4
    assert "|" not in "\n".join(rows)  # Nagios would read what follows a pipe as perfdata


def test_problems_only_lists_what_is_not_ok_and_keeps_the_status_and_perfdata() -> None:
    findings = (
        measured("postgres.connections", "app", 12, "12 of 100", warn=80, crit=95),
        Finding("http.status", "api", Severity.UNKNOWN, "probe failed"),
    )
    every, problems = report(*findings), report(*findings, problems_only=True)
    assert problems.status is Severity.UNKNOWN and problems.status_line() == every.status_line()
    assert problems.status_line().startswith("OPS-COCKPIT UNKNOWN - 1 unknown of 2 checks: api: probe")
    assert [f.check for _, f in problems.findings] == ["http.status"]
    healthy = report(findings[0], problems_only=True)
    assert healthy.as_table().splitlines()[0].startswith("OPS-COCKPIT OK - 1 checks ok | ")
    assert healthy.as_table().splitlines()[-1] == "(no problems)"
    assert report().status_line() == "OPS-COCKPIT OK - no probes configured for these panes"


def test_times_on_the_command_line_carry_their_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_minute(datetime(2026, 12, 1, 20, 35, tzinfo=paris)) == "2026-12-01 19:35 UTC"
    assert utc_minute(datetime(2026, 12, 1, 19, 35)) == "2026-12-01 19:35 UTC"  # naive: the cockpit's UTC
    assert utc_minute_of("2026-12-01T19:35:12.345+00:00") == "2026-12-01 19:35 UTC"
    assert utc_minute(datetime(2026, 12, 1, 19, 35, tzinfo=UTC)).endswith(" UTC")
