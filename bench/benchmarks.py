"""The benchmarks under bench/: each script, its smoke test's tiny arguments, and a line its
output must contain.

The one list: bench/run_all.py runs them in this order (at their default sizes, or at these tiny
arguments with ``--tiny``) and tests/bench/test_smoke.py runs each at its tiny arguments, failing
when a script under bench/ is neither here nor in HELPERS. A new benchmark is added here only.
Data only (no cockpit imports), so the smoke test can load it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

# Scripts under bench/ that are not benchmarks: shared pieces and the harness.
HELPERS = frozenset({"pty_run.py", "servers.py", "textual_floor.py", "benchmarks.py", "run_all.py"})


def on_both(figure: str) -> str:
    """With ``--server both``: ``figure`` printed, and again after Debian's 15 is named, unless
    that server was skipped (postgresql-15 not installed)."""
    return (
        rf"(?=(?s:.*){figure})"
        rf"(?=(?s:.*)(?:debian15, PostgreSQL 15\.\d+(?s:.*){figure}|server debian15: skipped))"
    )


@dataclass(frozen=True)
class Benchmark:
    """A script under bench/, its smoke test's tiny arguments, and a line its output must contain
    (a figure with its unit) for the smoke test to pass."""

    script: str
    tiny: tuple[str, ...]
    expected: str
    # run_all.py --quick: the fixture sizes kept, fewer repetitions and shorter windows.
    quick: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.script.removesuffix(".py")


# In the order they run.
BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "first_frame.py",
        ("--runs", "1"),
        r"(?s)ops-cockpit +median +\d+ ms.*bare Textual +median +\d+ ms.*Textual screen +median +\d+ ms",
    ),
    Benchmark(
        "health_endpoints.py",
        ("--endpoints", "6", "--hanging", "1", "--timeout", "0.5", "--rounds", "1"),
        r"ops-cockpit round +median +[\d.]+ s",
    ),
    Benchmark(
        "input_latency.py",
        ("--presses", "3", "--endpoints", "6", "--hanging", "1", "--interval", "2"),
        r"p50 +[\d.]+ ms +p99 +[\d.]+ ms",
    ),
    Benchmark(
        "health_db_time.py",
        ("--tables", "20", "--refreshes", "3", "--pg-activity-seconds", "2", "--server", "both"),
        on_both(r"ops-cockpit health +[\d.]+ ms"),
    ),
    Benchmark(
        "queries_refresh.py",
        ("--statements", "50", "--sessions", "10", "--seconds", "2", "--runs", "1", "--presses", "3"),
        r"input latency while refreshing, cursor down/up .* p50 [\d.]+ ms",
        quick=("--runs", "1"),
    ),
    Benchmark(
        "idle_footprint.py",
        ("--runs", "1", "--seconds", "2", "--settle", "1"),
        r"(?s)ops-cockpit Health +1 s +[\d.]+ % +[\d.]+ MB +[\d.]+ kB/s +[\d.]+ kB"
        r".*libraries, no cockpit +1 s +[\d.]+ % +[\d.]+ MB",
        quick=("--runs", "1", "--seconds", "15"),
    ),
    Benchmark(
        "cert_endpoints.py",
        ("--endpoints", "12", "--hanging", "2", "--timeout", "0.5", "--rounds", "1"),
        r"ops-cockpit round +median +[\d.]+ s +max +[\d.]+ s +verified 10, timed out 2",
    ),
    Benchmark(
        "backup_throughput.py",
        ("--size-mb", "5", "--runs", "1"),
        r"ops-cockpit backup run +[\d.]+ s +peak RSS +\d+ MB",
        quick=("--runs", "1"),
    ),
    Benchmark(
        "backup_listing.py",
        ("--objects", "200", "--runs", "1"),
        r"ops-cockpit inventory\(\) per refresh +[\d,]+ ms +CPU +[\d,]+ ms +peak RSS +\d+ MB",
        quick=("--runs", "2"),
    ),
    Benchmark(
        "bloat_estimate.py",
        ("--tables", "20", "--runs", "1", "--presses", "3", "--big-rows", "20000", "--server", "both"),
        r"(?=(?s:.*)input latency while the cockpit's VACUUM runs, .* p50 [\d.]+ ms)"
        + on_both(r"estimate, ops-cockpit, the pane's next read on its session: +\d+ ms"),
    ),
    Benchmark(
        "latency_under_load.py",
        ("--objects", "200", "--real-backups", "0", "--runs", "1", "--presses", "8", "--settle", "0.5"),
        r"(?=(?s:.*)s3 +listing +all keys +8 presses +p50 +[\d.]+ ms +p99 +[\d.]+ ms)"
        r"(?=(?s:.*)db-down +blackhole +all keys +8 presses +p50 +[\d.]+ ms +p99 +[\d.]+ ms)",
        quick=("--runs", "1"),
    ),
    Benchmark(
        "table_widget.py",
        ("--rows", "50,200", "--runs", "1", "--presses", "3"),
        r"(?s)200  one-cell update +[\d.]+ ms \(p99 +[\d.]+\) +[\d.]+ ms \(p99 +[\d.]+\) +[\d.]+"
        r".*200  view switch +[\d.]+ ms",
        quick=("--runs", "1"),
    ),
    Benchmark(
        "sessions_read.py",
        ("--sessions", "20", "--runs", "2", "--server", "both"),
        on_both(r"ops-cockpit, the pane's kept session +[\d.]+ ms +server +[\d.]+ ms"),
    ),
)
