"""Every benchmark runs at a tiny size and prints its figures: a bench that rots fails here.

These check that each benchmark still runs end to end against the current code (fixtures, the
real `cockpit` in a pty, the peers when installed) and prints the lines its README quotes. They
time nothing: the figures at these sizes mean nothing, and speed is measured by running bench/
itself at full size.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
HELPERS = {"pty_run.py", "servers.py", "textual_floor.py"}  # shared pieces, not benchmarks


def on_both(figure: str) -> str:
    """With ``--server both``: ``figure`` printed, and again after Debian's 15 is named, unless
    that server was skipped (postgresql-15 not installed)."""
    return (
        rf"(?=(?s:.*){figure})"
        rf"(?=(?s:.*)(?:debian15, PostgreSQL 15\.\d+(?s:.*){figure}|server debian15: skipped))"
    )


# (script, tiny arguments, a line the output must contain: a figure with its unit)
RUNS = [
    ("first_frame.py", ["--runs", "1"], r"(?s)ops-cockpit +median +\d+ ms.*bare Textual +median +\d+ ms"),
    (
        "health_endpoints.py",
        ["--endpoints", "6", "--hanging", "1", "--timeout", "0.5", "--rounds", "1"],
        r"ops-cockpit round +median +[\d.]+ s",
    ),
    (
        "input_latency.py",
        ["--presses", "3", "--endpoints", "6", "--hanging", "1", "--interval", "2"],
        r"p50 +[\d.]+ ms +p99 +[\d.]+ ms",
    ),
    (
        "health_db_time.py",
        ["--tables", "20", "--refreshes", "3", "--pg-activity-seconds", "2", "--server", "both"],
        on_both(r"ops-cockpit health +[\d.]+ ms"),
    ),
    (
        "queries_refresh.py",
        ["--statements", "50", "--sessions", "10", "--seconds", "2", "--runs", "1", "--presses", "3"],
        r"input latency while refreshing, cursor down/up .* p50 [\d.]+ ms",
    ),
    (
        "idle_footprint.py",
        ["--runs", "1", "--seconds", "2", "--settle", "1"],
        r"ops-cockpit Health +1 s +[\d.]+ % +[\d.]+ MB +[\d.]+ kB/s +[\d.]+ kB",
    ),
    (
        "cert_endpoints.py",
        ["--endpoints", "12", "--hanging", "2", "--timeout", "0.5", "--rounds", "1"],
        r"ops-cockpit round +median +[\d.]+ s +max +[\d.]+ s +verified 10, timed out 2",
    ),
    (
        "backup_throughput.py",
        ["--size-mb", "5", "--runs", "1"],
        r"ops-cockpit backup run +[\d.]+ s +peak RSS +\d+ MB",
    ),
    (
        "backup_listing.py",
        ["--objects", "200", "--runs", "1"],
        r"ops-cockpit inventory\(\) per refresh +[\d,]+ ms +CPU +[\d,]+ ms +peak RSS +\d+ MB",
    ),
    (
        "bloat_estimate.py",
        ["--tables", "20", "--runs", "1", "--presses", "3", "--big-rows", "20000", "--server", "both"],
        r"(?=(?s:.*)input latency while the cockpit's VACUUM runs, .* p50 [\d.]+ ms)"
        + on_both(r"estimate, ops-cockpit, the pane's next read on its session: +\d+ ms"),
    ),
    (
        "latency_under_load.py",
        ["--objects", "200", "--real-backups", "0", "--runs", "1", "--presses", "8", "--settle", "0.5"],
        r"(?=(?s:.*)s3 +listing +all keys +8 presses +p50 +[\d.]+ ms +p99 +[\d.]+ ms)"
        r"(?=(?s:.*)db-down +blackhole +all keys +8 presses +p50 +[\d.]+ ms +p99 +[\d.]+ ms)",
    ),
    (
        "sessions_read.py",
        ["--sessions", "20", "--runs", "2", "--server", "both"],
        on_both(r"ops-cockpit, the pane's kept session +[\d.]+ ms +server +[\d.]+ ms"),
    ),
]


@pytest.mark.parametrize(("script", "arguments", "expected"), RUNS, ids=[r[0] for r in RUNS])
def test_the_benchmark_runs_at_a_tiny_size(script: str, arguments: list[str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert re.search(expected, result.stdout), f"{script} printed no {expected!r}:\n{result.stdout}"


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {p.name for p in BENCH.glob("*.py")} - HELPERS
    assert scripts == {r[0] for r in RUNS}, "a benchmark without a smoke run here will rot"
