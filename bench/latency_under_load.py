"""Input latency while S3 lists 50,000 objects and while the database is unreachable.

    python bench/latency_under_load.py [--objects 50000] [--runs 3] [--presses 48]
                                       [--scenario {s3,db-down,both}]

The budget: the event loop never waits on I/O, so p99 input latency stays under 50 ms while a
VACUUM runs, while S3 lists 50,000 objects, and while the database is unreachable.
bench/bloat_estimate.py measures the VACUUM; this measures the other two. Each runs the real
``cockpit`` in an 80x24 pty and times key presses until the screen answers: for a key with a
textual answer (a tab or a view) until that text is written, for a cursor move until anything is
written (so a repaint landing first counts, as a delayed key would). ``--presses`` per condition
and run, ``--gap`` seconds apart, the conditions of a scenario alternating (the order rotates
each run), ``--runs`` times; each condition in a fresh cockpit process.

``s3``: bench/backup_listing.py's fixture (a throwaway SeaweedFS ``weed mini``, its bucket filled
with ``--objects`` tiny objects the same way, 58 % of them under the store's prefix, then
``--real-backups`` real ``cockpit backup run`` and a ``cockpit backup verify --latest``). The
cockpit's config has that one store; it goes through a TCP proxy in this process that notes every
list_objects_v2 request, so the figures say how many listings ran during the presses. Backups
pane (key 4); keys: cursor down (3), up (3), then `1` (to the Health pane, which says it is not
configured) and `4` (back, the table's header), repeated.

- ``idle``: ``backups_interval_s = 3600``: after the first listing, none during the presses (the
  same table on screen: the presses without the load).
- ``listing``: ``backups_interval_s = 1``: the pane lists again a second after each listing ends,
  so listings (and the table updates after them) overlap the presses.

``db-down``: a throwaway embedded PostgreSQL; the config is bench/pty_run.py's (one database,
2 s refresh, the default ``connect_timeout_s`` of 5 s). Keys: `2` (Queries pane, until its table's
header), `v` four times (each view, until its header or text), `1` (Health pane, until its
database table's header), `a` twice (all findings / problems only, until anything is written).

- ``up``: the database up (the presses without the load).
- ``stopped``: the cockpit starts on the running database, which is then stopped (``pg_ctl stop
  -m fast``): the kept sessions break, every reconnection is refused. The Queries pane retries
  every refresh, the Health pane with its backoff (1 s, doubling up to 30 s).
- ``blackhole``: the DSN's port is a socket in this process that accepts connections and never
  reads or answers (a host that went away behind a load balancer, a firewall dropping replies):
  each connection attempt waits for ``connect_timeout_s``. The attempts during the presses are
  counted.

Figures: p50 and p99 per condition and key kind, pooled over the runs, the median of the runs'
p99 beside; budget p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backup_listing import (
    PREFIX,
    add_fixture_arguments,
    check_fixture_arguments,
    fill,
    layout,
    real_backups,
    sandbox_aws_env,
    weed_version,
)
from pty_run import PtySession, cockpit_on

from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.sandbox.s3 import BUCKET, SandboxS3

BUDGET_MS = 50.0
DOWN, UP = b"\x1b[B", b"\x1b[A"
# The Queries pane's views in the order `v` cycles them, each with a text only it draws at 80x24.
QUERIES_VIEWS = [("statements", b"CALLS"), ("sessions", b"PID"), ("locks", b"no session is waiting"),
                 ("hints", b"RELATION")]  # fmt: skip


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


# -- what runs meanwhile ----------------------------------------------------------------------------


class ListingCounter:
    """A TCP proxy in front of the S3 server that notes when each list_objects_v2 request passes
    (the first page of a listing has no continuation token). Bytes are passed on as they come."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.pages: list[tuple[float, bool]] = []  # (monotonic, first page of a listing)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        partial = b""
        try:
            while chunk := source.recv(65536):
                if requests:
                    lines = (partial + chunk).split(b"\r\n")
                    partial = lines.pop()[-8192:]
                    for line in lines:
                        if line.startswith(b"GET ") and b"list-type=2" in line:
                            self.pages.append((time.monotonic(), b"continuation-token" not in line))
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def listings(self) -> int:
        return sum(first for _, first in self.pages)

    def during(self, began: float, ended: float) -> tuple[int, int, float, list[float]]:
        """Listings started and pages requested in [began, ended]; the share of that time a
        listing was under way (its first page request to its last: a little less than its wall
        time); each listing's first-to-last-page time."""
        starts = [i for i, (_, first) in enumerate(self.pages) if first] + [len(self.pages)]
        busy = 0.0
        spans = []
        for start, end in itertools.pairwise(starts):
            first, last = self.pages[start][0], self.pages[end - 1][0]
            if last >= began and first <= ended:
                spans.append(last - first)
                busy += min(last, ended) - max(first, began)
        inside = [(at, first) for at, first in self.pages if began <= at <= ended]
        return sum(first for _, first in inside), len(inside), busy / (ended - began), spans

    def close(self) -> None:
        self.server.close()


class Blackhole:
    """A port that accepts TCP connections and never reads from them or answers; the sockets are
    held until ``close``."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.port = int(self.server.getsockname()[1])
        self.accepted: list[tuple[float, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append((time.monotonic(), conn))

    def during(self, began: float, ended: float) -> int:
        return sum(began <= at <= ended for at, _ in self.accepted)

    def close(self) -> None:
        self.server.close()
        for _, conn in self.accepted:
            conn.close()


# -- presses ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One condition's latencies in seconds, by key kind, and per run."""

    by_kind: dict[str, list[float]] = field(default_factory=dict)
    run_p99: list[float] = field(default_factory=list)
    load: list[dict[str, float]] = field(default_factory=list)  # per run: what ran meanwhile

    def add(self, run: dict[str, list[float]]) -> None:
        for kind, values in run.items():
            self.by_kind.setdefault(kind, []).extend(values)
        self.run_p99.append(p99([v for values in run.values() for v in values]))

    def all(self) -> list[float]:
        return [v for values in self.by_kind.values() for v in values]


def backups_presses(session: PtySession, presses: int, gap: float) -> dict[str, list[float]]:
    """Cursor moves in the Backups table and the tab away and back."""
    out: dict[str, list[float]] = {"cursor down/up": [], "tabs 1 and 4": []}
    cycle = [DOWN, DOWN, DOWN, UP, UP, UP, b"1", b"4"]
    for i in range(presses):
        key = cycle[i % len(cycle)]
        if key == b"1":
            out["tabs 1 and 4"].append(session.press(key, b"not configured"))
        elif key == b"4":
            out["tabs 1 and 4"].append(session.press(key, b"STORE"))
        else:
            out["cursor down/up"].append(session.press_until_output(key))
        session.drain(gap)
    return out


def database_presses(session: PtySession, presses: int, gap: float) -> dict[str, list[float]]:
    """From the Health pane: to Queries, its four views, back to Health, its findings toggled."""
    out: dict[str, list[float]] = {"tabs 1 and 2": [], "v (Queries view)": [], "a (Health findings)": []}
    view = 0  # the Queries pane's view: it keeps it between visits
    cycle = ["2", "v", "v", "v", "v", "1", "a", "a"]
    for i in range(presses):
        key = cycle[i % len(cycle)]
        if key == "2":
            out["tabs 1 and 2"].append(session.press(b"2", QUERIES_VIEWS[view][1]))
        elif key == "v":
            view = (view + 1) % len(QUERIES_VIEWS)
            out["v (Queries view)"].append(session.press(b"v", QUERIES_VIEWS[view][1]))
        elif key == "1":
            out["tabs 1 and 2"].append(session.press(b"1", b"DATABASE"))
        else:
            out["a (Health findings)"].append(session.press_until_output(b"a"))
        session.drain(gap)
    return out


def rotated(names: list[str], run: int) -> list[str]:
    return names[run % len(names) :] + names[: run % len(names)]


# -- s3 ---------------------------------------------------------------------------------------------


def s3_scenario(args: argparse.Namespace, folder: Path) -> dict[str, Figures]:
    folder = folder / "s3"
    folder.mkdir()
    s3 = SandboxS3(folder / "s3")
    s3.start()
    counter: ListingCounter | None = None
    try:
        print(f"S3: SeaweedFS {weed_version()} at {s3.endpoint}")
        env = sandbox_aws_env(s3, folder)
        plan = layout(args.objects, datetime.now(UTC))
        seconds = fill(s3, plan.objects, args.threads)
        print(f"filled s3://{BUCKET} with {args.objects:,} objects in {seconds:.1f} s")
        listed = plan.listed()
        if args.real_backups:
            keys, database = real_backups(folder, s3, {**os.environ, **env}, args.real_backups)
            listed += 2 * len(keys)
            print(f"then {len(keys)} real `cockpit backup run` ({database}) and a `cockpit backup verify`")
        pages = -(-listed // 1000)
        print(f"the store lists {listed:,} objects under {PREFIX} (a listing: {pages} pages)")
        counter = ListingCounter(s3.ports["s3"])
        figures = {"idle": Figures(), "listing": Figures()}
        for run in range(args.runs):
            for condition in rotated(list(figures), run):
                interval = 3600 if condition == "idle" else 1
                config = folder / "cockpit-s3.toml"
                config.write_text(
                    f"[settings]\nbackups_interval_s = {interval}\n\n[targets.bench]\n\n"
                    f'[[targets.bench.backups]]\nname = "s3"\nkind = "s3"\nbucket = "{BUCKET}"\n'
                    f'prefix = "{PREFIX}"\nendpoint_url = "http://127.0.0.1:{counter.port}"\n'
                )
                session = PtySession(
                    [str(Path(sys.executable).parent / "cockpit"), "--config", str(config)],
                    env={**env, "COCKPIT_STATE_DIR": str(folder / "state"), "TERM_PROGRAM": "Apple_Terminal"},
                )
                try:
                    before = counter.listings()
                    session.wait_for(b"Backups", timeout=30)
                    session.press(b"4", b"STORE", timeout=30)
                    session.wait_for(b"s3 ", timeout=180)  # the first listing's rows and status
                    session.drain_until_quiet(quiet=0.5, limit=30)
                    session.press(b"1", b"not configured", timeout=30)  # built on its first visit
                    session.press(b"4", b"STORE", timeout=30)
                    session.drain(args.settle)
                    if counter.listings() <= before:
                        raise SystemExit("the Backups pane listed nothing through the proxy")
                    began = time.monotonic()
                    run_figures = backups_presses(session, args.presses, args.gap)
                    ended = time.monotonic()
                finally:
                    session.close()
                started, pages, busy, spans = counter.during(began, ended)
                figures[condition].add(run_figures)
                figures[condition].load.append(
                    {"listings": started, "pages": pages, "busy": busy, "seconds": ended - began}
                    | ({"span": statistics.median(spans)} if spans else {})
                )
                print(
                    f"run {run + 1} s3 {condition:8}: p99 {figures[condition].run_p99[-1] * 1000:6.1f} ms;"
                    f" {started} listings started during the {ended - began:.0f} s of presses,"
                    f" {pages:,} pages, a listing under way {busy:.0%} of the time"
                    + (f" (first to last page {statistics.median(spans):.2f} s, median)" if spans else ""),
                    flush=True,
                )
        return figures
    finally:
        if counter is not None:
            counter.close()
        s3.stop()


# -- db-down ----------------------------------------------------------------------------------------


def db_scenario(args: argparse.Namespace, folder: Path) -> dict[str, Figures]:
    import psycopg

    folder = folder / "db-down"  # its own state (the cockpit reopens the pane it last showed)
    folder.mkdir()
    server = SandboxPostgres(folder / "pg")
    server.init()
    server.start()
    blackhole = Blackhole()
    try:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {row[0] if row else '?'} (embedded); a blackhole at 127.0.0.1:{blackhole.port}")
        figures = {"up": Figures(), "stopped": Figures(), "blackhole": Figures()}
        for run in range(args.runs):
            for condition in rotated(list(figures), run):
                if condition == "blackhole":
                    dsn = f"postgresql://postgres@127.0.0.1:{blackhole.port}/postgres"
                else:
                    dsn = server.dsn("postgres")
                session = cockpit_on(folder, dsn)
                try:
                    session.wait_for(b"Health", timeout=30)
                    session.press(b"1", b"DATABASE", timeout=30)  # the Health pane's database table
                    session.drain(args.settle)
                    session.press(b"2", QUERIES_VIEWS[0][1], timeout=30)  # built on its first visit
                    session.press(b"1", b"DATABASE", timeout=30)
                    session.drain(args.settle)
                    if condition == "stopped":
                        server.stop()
                        session.drain(args.settle + 3)  # the break seen, the first retries refused
                    began = time.monotonic()
                    run_figures = database_presses(session, args.presses, args.gap)
                    ended = time.monotonic()
                    if condition != "up":  # the screen says so: the load was there
                        said = b"refused" if condition == "stopped" else b"timeout"
                        session.press(b"2", said, timeout=15)
                        session.press(b"1", b"DATABASE")
                finally:
                    session.close()
                    if condition == "stopped":
                        server.start()
                figures[condition].add(run_figures)
                note = ""
                if condition == "blackhole":
                    attempts = blackhole.during(began, ended)
                    figures[condition].load.append({"attempts": attempts, "seconds": ended - began})
                    note = f"{attempts} connection attempts held by the blackhole during the presses"
                line = f"run {run + 1} db {condition:9}: p99 {figures[condition].run_p99[-1] * 1000:6.1f} ms"
                print(f"{line}{'; ' + note if note else ''}", flush=True)
        return figures
    finally:
        blackhole.close()
        server.stop()


# -- report -----------------------------------------------------------------------------------------


def report(scenario: str, figures: dict[str, Figures], load: set[str]) -> None:
    for condition, found in figures.items():
        values = found.all()
        if not values:
            continue
        met = "met" if p99(values) * 1000 < BUDGET_MS else "NOT met"
        tag = f"budget {met}" if condition in load else "no load, for scale"
        print(
            f"{scenario:7} {condition:9} {'all keys':22} {len(values):4} presses  p50 "
            f"{statistics.median(values) * 1000:6.1f} ms  p99 {p99(values) * 1000:6.1f} ms  "
            f"max {max(values) * 1000:6.1f} ms  "
            f"runs' p99 median {statistics.median(found.run_p99) * 1000:6.1f} ms"
            f"  ({tag})"
        )
        for kind, kind_values in found.by_kind.items():
            if not kind_values:
                continue
            print(
                f"{'':17} {kind:22} {len(kind_values):4} presses  p50 "
                f"{statistics.median(kind_values) * 1000:6.1f} ms  p99 {p99(kind_values) * 1000:6.1f} ms"
            )
        if any("listings" in run for run in found.load):
            spans = [run["span"] for run in found.load if "span" in run]
            busy = [run["busy"] for run in found.load]
            print(
                f"{'':17} listings started during each run's presses (about"
                f" {statistics.median(run['seconds'] for run in found.load):.0f} s):"
                f" {', '.join(str(int(run['listings'])) for run in found.load)}; pages"
                f" {', '.join(str(int(run['pages'])) for run in found.load)}; a listing under way"
                f" {min(busy):.0%}-{max(busy):.0%} of the time"
                + (f"; first to last page {statistics.median(spans):.2f} s (median)" if spans else "")
            )
        if any("attempts" in run for run in found.load):
            print(
                f"{'':17} connection attempts held by the blackhole during each run's presses (about"
                f" {statistics.median(run['seconds'] for run in found.load):.0f} s):"
                f" {', '.join(str(int(run['attempts'])) for run in found.load)}"
            )


def cockpit_code() -> str:
    """Where the ``cockpit`` command's code comes from (PYTHONPATH can point it at a clean
    checkout), its commit, and whether that tree has changes."""
    where = subprocess.run(
        [sys.executable, "-c", "import cockpit, pathlib; print(pathlib.Path(cockpit.__file__).parents[1])"],
        capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(),  # not this folder first
    ).stdout.strip()  # fmt: skip
    git = ["git", "-C", where]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False
    )
    state = "with uncommitted changes" if dirty.stdout.strip() else "clean"
    return f"{where} at {commit.stdout.strip() or '?'} ({state})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("s3", "db-down", "both"), default="both")
    add_fixture_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--presses", type=int, default=48, help="per condition and run")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between presses")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after the first frame")
    args = parser.parse_args()
    check_fixture_arguments(parser, args)

    began = time.perf_counter()
    print(f"the cockpit's code: {cockpit_code()}")
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-load-"))
    folder.chmod(0o755)  # the sandbox's PostgreSQL runs as another user when we are root
    results: list[tuple[str, dict[str, Figures], set[str]]] = []
    try:
        if args.scenario in ("s3", "both"):
            results.append(("s3", s3_scenario(args, folder), {"listing"}))
        if args.scenario in ("db-down", "both"):
            results.append(("db-down", db_scenario(args, folder), {"stopped", "blackhole"}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\ninput latency under load, 80x24, {args.runs} runs alternating, {args.presses} presses per"
        f" condition and run, {args.gap:g} s apart; budget p99 < {BUDGET_MS:.0f} ms"
    )
    for scenario, figures, load in results:
        report(scenario, figures, load)
    print(f"\nthe whole bench took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
