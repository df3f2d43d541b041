"""Idle footprint: client CPU, RSS and terminal bytes at rest, ops-cockpit beside pg_activity.

    python bench/idle_footprint.py [--runs 3] [--seconds 30] [--settle 5]

Starts the sandbox (PostgreSQL, SeaweedFS, the HTTPS endpoints: separate processes, measured by
no column here), then alternates, each alone in an 80x24 pty on the sandbox's ``app`` database:

- ops-cockpit on its Health pane (the pane it opens on), ``--refresh 1``;
- ops-cockpit on its Queries pane (key ``2``), ``--refresh 1``;
- pg_activity 3.6, ``--refresh 1``;
- ops-cockpit on its Health pane at its default refresh (2 s, no flag);
- pg_activity at its default refresh (2 s);
- the libraries' floor (``textual_floor.py --libraries``): a bare Textual app with a psycopg
  session, an httpx client polling an HTTPS endpoint from a thread's event loop and an SQLite file,
  each used once a second, and no cockpit code: what the RSS budget has to fit above.

Each waits for its first full frame (ops-cockpit: the Health pane's findings table; on the
Queries pane, the statements table after ``2``; pg_activity: its process table), then
``--settle`` seconds, then measures over ``--seconds``: client CPU in % of one core (utime +
stime from /proc/PID/stat, children included), the highest RSS sampled (VmRSS of the program's
own process, every 0.25 s) and the bytes written to the terminal per second. For scale, before
settling, the cost of one full 80x24 redraw of that screen: the bytes written once the pty is
made a column wider and given its size back (``PtySession.full_redraw``). Prints medians over
``--runs`` and the ratios to pg_activity.

Budgets (issue 10): idle CPU under 1 % of a core at a 1 s refresh; RSS under 60 MB with the
sandbox excluded; bytes per second at idle with the default refresh, beside pg_activity, well
under a full redraw.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_run import PtySession, cpu_seconds, descendants, find_pg_activity, pg_activity_on, rss_bytes

from cockpit.sandbox.manager import Sandbox

SAMPLE_EVERY = 0.25  # seconds between RSS samples
LIBRARY_FLOOR = "libraries, no cockpit"  # textual_floor.py --libraries


@dataclass
class Figures:
    cpu_percent: float  # of one core
    rss_max: int  # bytes
    bytes_per_second: float
    frame_bytes: int  # the first full frame: one full redraw
    children: int  # processes seen below the program (their CPU is counted, not their RSS)


@dataclass
class Program:
    name: str
    refresh: str  # as printed
    pane: str  # "health", "queries" or "" (pg_activity)
    args: tuple[str, ...]


def measure(session: PtySession, seconds: float, frame_bytes: int) -> Figures:
    """CPU, highest RSS and terminal bytes of ``session``'s program over ``seconds``."""
    children = len(descendants(session.pid))
    cpu0, started = cpu_seconds(session.pid), time.perf_counter()
    rss_max = rss_bytes(session.pid)
    written = 0
    while (left := started + seconds - time.perf_counter()) > 0:
        written += session.drain(min(SAMPLE_EVERY, left))
        rss_max = max(rss_max, rss_bytes(session.pid))
    cpu1, elapsed = cpu_seconds(session.pid), time.perf_counter() - started
    children = max(children, len(descendants(session.pid)))
    return Figures(100 * (cpu1 - cpu0) / elapsed, rss_max, written / elapsed, frame_bytes, children)


def at_rest(session: PtySession, ready: Callable[[], object], settle: float, seconds: float) -> Figures:
    """``session``'s figures once ``ready`` has seen its first frame: one full redraw's bytes for
    scale, ``settle`` seconds, then ``measure``; the program is closed whatever happens."""
    try:
        ready()
        frame = session.full_redraw()
        session.drain(settle)
        return measure(session, seconds, frame)
    finally:
        session.close()


def run_cockpit(
    config: Path, env: dict[str, str], program: Program, settle: float, seconds: float
) -> Figures:
    session = PtySession(
        [str(Path(sys.executable).parent / "cockpit"), "--config", str(config), *program.args], env=env
    )

    def ready() -> None:
        session.wait_for(b"SEVERITY", timeout=30)  # the Health pane's findings table
        if program.pane == "queries":
            session.drain_until_quiet()  # the rest of the first frame, before the key
            session.press(b"2", b"statements by", timeout=30)  # the statements table's status line

    return at_rest(session, ready, settle, seconds)


def run_library_floor(config: Path, settle: float, seconds: float) -> Figures:
    floor = Path(__file__).with_name("textual_floor.py")
    session = PtySession([sys.executable, str(floor), "--libraries", str(config)])
    return at_rest(session, lambda: session.wait_for(b"SEVERITY", timeout=30), settle, seconds)


def run_pg_activity(pg_activity: str, port: int, program: Program, settle: float, seconds: float) -> Figures:
    session = pg_activity_on(pg_activity, port, user="postgres", dbname="app", args=program.args)
    # its process table's header
    return at_rest(session, lambda: session.wait_for(b"PID", timeout=30), settle, seconds)


def median(figures: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.cpu_percent for f in figures),
        int(statistics.median(f.rss_max for f in figures)),
        statistics.median(f.bytes_per_second for f in figures),
        int(statistics.median(f.frame_bytes for f in figures)),
        max(f.children for f in figures),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="the measuring window")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the first frame")
    args = parser.parse_args()
    programs = [
        Program("ops-cockpit Health", "1 s", "health", ("--refresh", "1")),
        Program("ops-cockpit Queries", "1 s", "queries", ("--refresh", "1")),
        Program("pg_activity", "1 s", "", ("--refresh", "1")),
        Program("ops-cockpit Health", "2 s", "health", ()),
        Program("pg_activity", "2 s", "", ()),
        Program(LIBRARY_FLOOR, "1 s", "", ()),
    ]
    pg_activity = find_pg_activity()
    if not pg_activity:
        print("pg_activity not installed (pip install pg-activity): ops-cockpit alone")
        programs = [p for p in programs if p.pane or p.name == LIBRARY_FLOOR]
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-idle-"))
    sandbox = Sandbox(folder)
    figures: dict[tuple[str, str], list[Figures]] = {(p.name, p.refresh): [] for p in programs}
    try:
        config = sandbox.up(store_keys_in_keyring=False)
        for run in range(args.runs):
            for index, program in enumerate(programs):
                if program.name == LIBRARY_FLOOR:
                    result = run_library_floor(config, args.settle, args.seconds)
                elif program.pane:
                    # As `cockpit demo` runs it: the S3 keys in the environment; a state folder of
                    # its own each time (the cockpit reopens on the pane it was left on).
                    # TERM_PROGRAM: see bench/README.md (pg_activity_on sets it for pg_activity).
                    env = {
                        **sandbox.s3_environment(),
                        "COCKPIT_STATE_DIR": str(folder / f"state-{run}-{index}"),
                        "TERM_PROGRAM": "Apple_Terminal",
                    }
                    result = run_cockpit(config, env, program, args.settle, args.seconds)
                else:
                    assert pg_activity is not None
                    result = run_pg_activity(
                        pg_activity, sandbox.postgres.port, program, args.settle, args.seconds
                    )
                figures[(program.name, program.refresh)].append(result)
                print(
                    f"run {run + 1}: {program.name}, {program.refresh}: {result.cpu_percent:.2f} %, "
                    f"{result.rss_max / 1e6:.1f} MB, {result.bytes_per_second / 1000:.2f} kB/s",
                    flush=True,
                )
    finally:
        sandbox.down()
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"idle footprint at 80x24 on the sandbox database, {args.runs} runs of {args.seconds:g} s each "
        f"after {args.settle:g} s settling, alternating (medians)"
    )
    print(f"  {'':22} {'refresh':>7} {'client CPU':>12} {'max RSS':>10} {'terminal':>12} {'full frame':>11}")
    medians = {key: median(runs) for key, runs in figures.items()}
    for (name, refresh), m in medians.items():
        print(
            f"  {name:22} {refresh:>7} {m.cpu_percent:9.2f} %  {m.rss_max / 1e6:7.1f} MB "
            f"{m.bytes_per_second / 1000:7.2f} kB/s {m.frame_bytes / 1000:7.1f} kB"
        )
        if m.children:
            print(f"    ({name} ran {m.children} child process(es): their CPU is counted, not their RSS)")
    for ours, refresh in (
        ("ops-cockpit Health", "1 s"),
        ("ops-cockpit Queries", "1 s"),
        ("ops-cockpit Health", "2 s"),
    ):
        peer = medians.get(("pg_activity", refresh))
        if peer is None:
            continue
        m = medians[(ours, refresh)]
        print(
            f"  ratio {ours} / pg_activity at {refresh}: CPU "
            f"{m.cpu_percent / max(peer.cpu_percent, 1e-9):.2f}, RSS {m.rss_max / max(peer.rss_max, 1):.2f}, "
            f"bytes {m.bytes_per_second / max(peer.bytes_per_second, 1e-9):.2f}"
        )
    health_1s, queries_1s = medians[("ops-cockpit Health", "1 s")], medians[("ops-cockpit Queries", "1 s")]
    health_2s = medians[("ops-cockpit Health", "2 s")]
    worst_cpu = max(health_1s.cpu_percent, queries_1s.cpu_percent)
    worst_rss = max(m.rss_max for (name, _), m in medians.items() if name.startswith("ops-cockpit"))
    floor_rss = medians[(LIBRARY_FLOOR, "1 s")].rss_max
    print(
        "  budgets (issue 10): "
        f"CPU at 1 s < 1 %: {'met' if worst_cpu < 1 else 'not met'} ({worst_cpu:.2f} % at worst); "
        f"RSS < 60 MB: {'met' if worst_rss < 60e6 else 'not met'} ({worst_rss / 1e6:.1f} MB at worst, "
        f"the libraries' floor {floor_rss / 1e6:.1f} MB); "
        f"bytes at the default refresh: {health_2s.bytes_per_second / 1000:.2f} kB/s, "
        f"{health_2s.bytes_per_second / max(health_1s.frame_bytes, 1):.2f} full redraws a second"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
