"""The Queries pane's sessions read at 500 sessions, beside check_postgres's backends action.

    python bench/sessions_read.py [--sessions 500] [--runs 7] [--server {embedded,debian15,both}]

A throwaway PostgreSQL (max_connections ``--sessions`` + 100) gets ``--sessions`` client sessions
in mixed states (``queries_refresh.Sessions``: a fifth running a long sleep, a fifth idle in a
transaction, the rest idle). Then, alternating, ``--runs`` times each:

- ops-cockpit: ``read_sessions`` (cockpit/probes/queries.py), what the Queries pane's sessions
  view reads on every refresh (2 s by default), on the session the pane keeps: opened once with
  the pane's ``connect_async`` and policy, read once before timing (the pane's first refresh).
  Wall time seen by the client: the query (every client session, with pg_blocking_pids for those
  waiting on a lock), the rows, and the ``Session`` objects with their redacted texts. For scale,
  also a read on a new session (connect + read), as a command pays it.
- check_postgres ``--action=backends`` (Debian package check-postgres), as an SRE or a Nagios
  runs it: the command whole (Perl start-up, psql, its connection and its count per database).

Server time per read comes from pg_stat_statements: each tool connects as its own role. The two
do not read the same thing: check_postgres counts sessions per database; the pane lists each one
(who, state, waits, ages, query, blockers). The comparison says what that listing costs against
the check an SRE already runs on every host. ``--server both`` repeats it on Debian's
PostgreSQL 15 (bench/servers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queries_refresh import Sessions, server_ms
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
from cockpit.db.sessions import SessionPolicy, connect_async
from cockpit.probes.queries import read_sessions

ROLES = ("cockpit_bench", "checkpg_bench", "app_bench")
KEPT = "ops-cockpit, the pane's kept session"
NEW = "ops-cockpit, new session (connect + read)"
PEER = "check_postgres --action=backends (the command)"


@dataclass
class Figures:
    """Seconds per run (wall) and server milliseconds per read, for one server."""

    kept: list[float] = field(default_factory=list)
    kept_server: list[float] = field(default_factory=list)
    new: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    peer_server: list[float] = field(default_factory=list)
    rows: int = 0


def wait_for_states(admin: str, sessions: int, timeout: float = 30.0) -> dict[str, int]:
    """Sessions of app_bench per state, once the sleeping fifth is active (their threads start late)."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(admin, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity"
                " WHERE usename = 'app_bench' GROUP BY 1"
            ).fetchall()
            states = {str(state): int(count) for state, count in rows}
            if states.get("active", 0) >= (sessions + 4) // 5 or time.monotonic() > deadline:
                return states
            time.sleep(0.1)


async def alternate(database: Database, admin: str, port: int, runs: int, has_peer: bool) -> Figures:
    figures = Figures()
    policy = SessionPolicy()  # the pane's policy at the default settings
    kept = await connect_async(database, policy)
    try:
        figures.rows = len(await read_sessions(kept))  # the pane's first refresh
        for _ in range(runs):
            before = server_ms(admin, "cockpit_bench")
            started = time.perf_counter()
            await read_sessions(kept)
            figures.kept.append(time.perf_counter() - started)
            figures.kept_server.append(server_ms(admin, "cockpit_bench") - before)

            started = time.perf_counter()
            conn = await connect_async(database, policy)
            try:
                await read_sessions(conn)
            finally:
                await conn.close()
            figures.new.append(time.perf_counter() - started)

            if has_peer:
                before = server_ms(admin, "checkpg_bench")
                figures.peer.append(check_postgres(port, "backends", user="checkpg_bench"))
                figures.peer_server.append(server_ms(admin, "checkpg_bench") - before)
    finally:
        await kept.close()
    return figures


def measure(server: Server, folder: Path, count: int, runs: int, has_peer: bool) -> tuple[str, Figures]:
    import psycopg

    settings = {"max_connections": str(count + 100)}
    with running(server, folder / server.name, settings) as postgres:
        label = describe(server, postgres)
        admin = postgres.dsn("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            for role in ROLES:
                conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER".encode())
        started = time.perf_counter()
        sessions = Sessions(postgres.dsn("postgres", user="app_bench"), count)
        try:
            states = wait_for_states(admin, count)
            print(
                f"fixture on {label}: {sum(states.values())} sessions "
                f"({', '.join(f'{n} {state}' for state, n in sorted(states.items()))}) "
                f"in {time.perf_counter() - started:.1f}s"
            )
            database = Database(name="bench", dsn=postgres.dsn("postgres", user="cockpit_bench"))
            figures = asyncio.run(alternate(database, admin, postgres.port, runs, has_peer))
        finally:
            sessions.close()
    return label, figures


def report(label: str, figures: Figures, runs: int, peer_version: str | None) -> None:
    median = statistics.median
    peer_name = f"check_postgres {peer_version}" if peer_version else "check_postgres"
    print(
        f"Sessions read, {figures.rows} sessions, {label}, {peer_name}, {runs} runs each, "
        "alternating (medians)"
    )
    kept, kept_server = median(figures.kept) * 1000, median(figures.kept_server)
    print(f"  {KEPT:48} {kept:8.2f} ms  server {kept_server:6.2f} ms")
    print(f"  {NEW:48} {median(figures.new) * 1000:8.2f} ms")
    if not figures.peer:
        print("  check_postgres: not installed (apt-get install check-postgres)")
        return
    peer, peer_server = median(figures.peer) * 1000, median(figures.peer_server)
    print(f"  {PEER:48} {peer:8.2f} ms  server {peer_server:6.2f} ms")
    print(
        f"  ratio ops-cockpit (kept session) / check_postgres: wall {kept / peer:.3f}, "
        f"server time {kept_server / max(peer_server, 1e-9):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    add_server_option(parser)
    args = parser.parse_args()
    servers = chosen(args.server)
    peer_version = check_postgres_version()
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-sessions-"))
    try:
        for server in servers:
            label, figures = measure(server, folder, args.sessions, args.runs, peer_version is not None)
            report(label, figures, args.runs, peer_version)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
