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

# The one list of benchmarks and their tiny arguments, the harness's too (bench/run_all.py).
from bench.benchmarks import BENCHMARKS, HELPERS, Benchmark

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=[b.script for b in BENCHMARKS])
def test_the_benchmark_runs_at_a_tiny_size(benchmark: Benchmark) -> None:
    script, expected = benchmark.script, benchmark.expected
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *benchmark.tiny],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert re.search(expected, result.stdout), f"{script} printed no {expected!r}:\n{result.stdout}"


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {p.name for p in BENCH.glob("*.py")} - HELPERS
    listed = {b.script for b in BENCHMARKS}
    assert scripts == listed, "a benchmark without an entry in bench/benchmarks.py will rot"


def test_the_harness_runs_benchmarks_and_sums_them_up(tmp_path: Path) -> None:
    """run_all.py at tiny sizes on two fast benchmarks: the header names the commit, each
    benchmark's output comes through, the summary has a row per benchmark, and the transcript
    is written."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--tiny", "--only", "health_endpoints,cert_endpoints",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"run_all failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH, check=True
    ).stdout.strip()
    out = result.stdout
    assert re.search(rf"^commit {head}(\+dirty)?$", out, re.M), out
    assert re.search(r"^machine: \d+ cores, [\d.]+ GiB memory, load average ", out, re.M), out
    assert re.search(r"^PostgreSQL server embedded: PostgreSQL \d+\.\d+", out, re.M), out
    assert re.search(r"ops-cockpit round +median +[\d.]+ s", out), out  # the benchmark's own output
    assert re.search(r"^health_endpoints +0 +[\d.]+ s$", out, re.M), out
    assert re.search(r"^cert_endpoints +0 +[\d.]+ s$", out, re.M), out
    assert re.search(r"^total +[\d.]+ s$", out, re.M), out
    assert "2 benchmarks, 0 failed" in out
    (transcript,) = tmp_path.glob(f"*-{head}*.txt")
    assert transcript.read_text() == out


def test_the_harness_refuses_an_unknown_benchmark() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--only", "no_such_bench"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown benchmark no_such_bench" in result.stderr
