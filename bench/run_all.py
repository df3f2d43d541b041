"""Every benchmark in one run, with the machine and versions in a header, so figures compare.

    python bench/run_all.py [--only a,b] [--skip a,b] [--quick | --tiny] [--out DIR] [--timeout S]

Runs each benchmark under bench/ in turn (a subprocess on this interpreter), at its default size
(the one bench/README.md quotes; about 29 minutes on 2 cores), with ``--quick`` on the same
fixtures with fewer runs and shorter measuring windows (about 12 minutes: for comparing one run
with the next), or with ``--tiny`` at the smoke test's tiny arguments. Prints a
header first (UTC time, cores, memory, load, versions, the PostgreSQL servers here, the git
commit), then each benchmark's output as it comes, then a summary of exit statuses and wall
times. The whole transcript is also written to ``--out`` (default bench/results/, ignored by git:
the README keeps the figures it quotes), named ``<UTC time>-<commit>.txt``.

The benchmarks and their tiny and quick arguments are listed once, in bench/benchmarks.py (the smoke test
reads the same list). Exits non-zero when any benchmark failed; the others run all the same.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks.py, servers.py
from benchmarks import BENCHMARKS, HELPERS, Benchmark

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

BY_NAME = {b.name: b for b in BENCHMARKS}


@dataclass(frozen=True)
class Outcome:
    """How one benchmark ended: its exit status (None: killed at the timeout) and wall seconds."""

    name: str
    status: int | None
    seconds: float

    @property
    def failed(self) -> bool:
        return self.status != 0


def _command(*argv: str) -> str | None:
    """A command's first output line, or None when it cannot run here."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0] if lines else ""


def commit() -> str:
    """``bd1feea`` or ``bd1feea+dirty`` (changed or untracked files beside the commit): which
    code the figures are from. ``unknown`` outside a git checkout."""
    short = _command("git", "rev-parse", "--short", "HEAD")
    if not short:
        return "unknown"
    changes = _command("git", "status", "--porcelain")
    return f"{short}+dirty" if changes else short


def memory_gib() -> str:
    """MemTotal from /proc/meminfo, in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "?"


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def postgres_versions() -> list[str]:
    """``embedded: PostgreSQL 18.6`` for each server servers.py knows; why, for one not here."""
    import servers

    from cockpit.db.pg_tools import embedded_bin_dir

    found: list[str] = []
    for name, server in servers.SERVERS.items():
        reason = server.missing()
        if reason is not None:
            found.append(f"{name}: not available ({reason})")
            continue
        binaries = server.binaries or embedded_bin_dir()
        line = _command(str(binaries / "postgres"), "--version")
        found.append(f"{name}: {line.replace('postgres (PostgreSQL)', 'PostgreSQL') if line else '?'}")
    return found


def header(started: datetime, label: str) -> list[str]:
    """The lines that say where and on what the figures were taken (no hostname)."""
    import servers

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"bench/run_all.py, {started:%Y-%m-%d %H:%M:%S} UTC",
        f"commit {label}",
        f"machine: {os.cpu_count()} cores, {memory_gib()} memory, load average {load} at start, "
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, Textual {version_of('textual')}, "
        f"psycopg {version_of('psycopg')}, boto3 {version_of('boto3')}, "
        f"pg_activity {version_of('pg_activity')}, "
        f"check_postgres {servers.check_postgres_version() or 'not installed'}",
        *(f"PostgreSQL server {line}" for line in postgres_versions()),
    ]


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the benchmark's process group (it cleans up its servers), SIGKILL after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_one(benchmark: Benchmark, size: str, timeout: float, emit: Callable[[str], None]) -> Outcome:
    """Runs one benchmark, its output (stderr merged) streamed line by line through ``emit``.
    ``-u``: the child's prints arrive as they are made, not at exit; it is not inherited by the
    programs the benchmark measures (PYTHONUNBUFFERED would be)."""
    extra = {"tiny": benchmark.tiny, "quick": benchmark.quick}.get(size, ())
    argv = [sys.executable, "-u", str(BENCH / benchmark.script), *extra]
    emit(f"=== {benchmark.name}: python bench/{benchmark.script} {' '.join(argv[3:])}".rstrip())
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    timed_out = False
    with _watchdog(process, timeout) as expired:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                emit(line.rstrip("\n"))
            process.wait()
        except BaseException:  # Ctrl-C: the benchmark's servers go with it
            _stop(process)
            raise
        timed_out = expired()
    seconds = time.perf_counter() - started
    status = None if timed_out else process.returncode
    ended = f"killed after the {timeout:.0f} s timeout" if status is None else f"exit {status}"
    emit(f"=== {benchmark.name}: {ended}, {seconds:.1f} s wall")
    emit("")
    return Outcome(benchmark.name, status, seconds)


@contextmanager
def _watchdog(process: subprocess.Popen[str], timeout: float) -> Iterator[Callable[[], bool]]:
    """Stops ``process`` after ``timeout`` seconds (the output loop then ends); yields whether it
    did. A thread, because the loop blocks on the child's output."""
    import threading

    fired = threading.Event()

    def expire() -> None:
        fired.set()
        _stop(process)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired.is_set
    finally:
        timer.cancel()


def summary(outcomes: list[Outcome], total: float) -> list[str]:
    width = max([len("benchmark"), *(len(o.name) for o in outcomes)])
    lines = [f"{'benchmark':<{width}}  {'exit':>7}  {'wall':>8}"]
    for o in outcomes:
        status = "timeout" if o.status is None else str(o.status)
        lines.append(f"{o.name:<{width}}  {status:>7}  {o.seconds:>6.1f} s")
    failed = [o.name for o in outcomes if o.failed]
    lines.append(f"{'total':<{width}}  {'':>7}  {total:>6.1f} s")
    lines.append(
        f"{len(outcomes)} benchmarks, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else "")
    )
    return lines


def _names(value: str) -> list[str]:
    """``a,b.py`` as benchmark names; an unknown one is an error that lists the known ones."""
    names = [n.strip().removesuffix(".py") for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BY_NAME)})"
        )
    return names


def unlisted() -> list[str]:
    """Scripts under bench/ that are neither helpers nor in BENCHMARKS (the smoke test fails on
    them too; the harness says so rather than skipping them silently)."""
    return sorted({p.name for p in BENCH.glob("*.py")} - HELPERS - {b.script for b in BENCHMARKS})


SIZES = {
    "default": "default (bench/README.md)",
    "quick": "quick (the same fixtures, fewer runs and shorter windows: bench/benchmarks.py)",
    "tiny": "tiny (smoke test arguments)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=_names, default=None, help="comma-separated names to run")
    parser.add_argument("--skip", type=_names, default=[], help="comma-separated names not to run")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--tiny", action="store_true", help="the smoke test's sizes: checks, not figures")
    sizes.add_argument(
        "--quick", action="store_true", help="the same fixtures, fewer repetitions: about 12 minutes"
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="where the transcript goes")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per benchmark")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if (args.only is None or b.name in args.only) and b.name not in args.skip]

    started = datetime.now(UTC)
    label = commit()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started:%Y-%m-%dT%H%M%SZ}-{label}.txt"
    with path.open("w") as transcript:
        emit = _emitter(transcript)
        for line in header(started, label):
            emit(line)
        size = "tiny" if args.tiny else "quick" if args.quick else "default"
        emit(f"size: {SIZES[size]}")
        emit(f"transcript: {path}")
        for script in unlisted():
            emit(f"not run: {script} has no entry in bench/benchmarks.py")
        emit("")
        clock = time.perf_counter()
        outcomes = [run_one(b, size, args.timeout, emit) for b in chosen]
        for line in summary(outcomes, time.perf_counter() - clock):
            emit(line)
        if (ended := commit()) != label:  # others commit in this tree while a long run goes on
            emit(f"commit at the end {ended}, at the start {label}: later benchmarks may have run other code")
    return 1 if any(o.failed for o in outcomes) else 0


def _emitter(transcript: TextIO) -> Callable[[str], None]:
    """Each line to the terminal and to the transcript, flushed, so a run cut short keeps its
    transcript up to the cut."""

    def emit(line: str) -> None:
        print(line, flush=True)
        transcript.write(line + "\n")
        transcript.flush()

    return emit


if __name__ == "__main__":
    sys.exit(main())
