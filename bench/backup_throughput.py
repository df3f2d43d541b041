"""A backup of a database of about 1 GB, beside the runbooks' manual procedure.

    python bench/backup_throughput.py [--size-mb 1024] [--runs 3]

A throwaway embedded PostgreSQL gets ``--size-mb`` of table data (pg_database_size; rows of
numbers, timestamps and hex text, about as compressible as application data) and a throwaway
SeaweedFS S3. Then, alternating, ``--runs`` times each:

1. ops-cockpit: the real ``cockpit backup run`` (pg_dump -Fc --compress=1 of the server's major version,
   streamed into an S3 multipart upload with SHA-256 and the row counts of its snapshot). Wall
   time from exec to exit; peak RSS of the cockpit process (VmHWM, pg_dump not included: it is
   the same program in both columns).
2. The runbooks' manual procedure: ``pg_dump app | gzip > backup.sql.gz`` (a shell pipeline,
   timed alone), then an upload of the file with boto3's ``upload_file`` (timed, and its peak
   RSS).

Goal (issue 25): at most 0.6x of ``pg_dump | gzip`` alone, RSS under 150 MB (issue 7 asked 1.2x).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.db.pg_tools import find_tool
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.sandbox.s3 import BUCKET, SandboxS3

ROW_BYTES = 190  # on disk per row of `events`, tuple header and item pointer included


def build(dsn: str, size_mb: int) -> int:
    """Fill ``events`` (and an index) until the database holds about ``size_mb``; its size."""
    import psycopg

    rows = size_mb * 1_000_000 // ROW_BYTES
    batch = 500_000
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE events (id bigint PRIMARY KEY, account int NOT NULL, kind text NOT NULL,"
            " at timestamptz NOT NULL, payload text NOT NULL)"
        )
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 10000) g")
        for first in range(0, rows, batch):
            conn.execute(
                "INSERT INTO events SELECT g, g %% 10000, (ARRAY['login','view','buy','logout'])[g %% 4 + 1],"
                " timestamptz '2026-01-01' + g * interval '1 second',"
                " md5(g::text) || md5((g / 7)::text) || md5((g %% 1000)::text)"
                " FROM generate_series(%s::bigint, %s::bigint) g",
                (first + 1, min(first + batch, rows)),
            )
        conn.execute("VACUUM ANALYZE")
        return int(conn.execute("SELECT pg_database_size('app')").fetchone()[0])  # type: ignore[index]


class PeakRss:
    """Polls a process's VmHWM (its high-water mark) until it exits: its peak RSS in bytes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
            except (OSError, ValueError, IndexError):
                return  # gone (or a zombie: VmHWM no longer listed)
            time.sleep(0.02)

    def stop(self) -> int:
        self._thread.join(5)
        return self.peak


def timed(argv: list[str], env: dict[str, str], *, shell: bool = False) -> tuple[float, int]:
    """Wall seconds from exec to exit and the process's peak RSS (bytes); fails loudly."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv if not shell else " ".join(argv), env=env, shell=shell, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, executable="/bin/bash" if shell else None,
    )  # fmt: skip
    peak = PeakRss(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({process.returncode}): {(err or out).decode()[-500:]}")
    return seconds, peak.stop()


UPLOAD = """
import sys, boto3
client = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
client.upload_file(sys.argv[2], sys.argv[3], sys.argv[4])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-backup-"))
    folder.chmod(0o755)
    server = SandboxPostgres(folder / "pg")
    s3 = SandboxS3(folder / "s3")
    try:
        server.init()
        server.start()
        s3.start()
        with __import__("psycopg").connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE app")
            major = conn.info.server_version // 10000
        began = time.perf_counter()
        size = build(server.dsn(), args.size_mb)
        print(f"database app: {size / 1e6:,.0f} MB, built in {time.perf_counter() - began:.0f} s")
        pg_dump = find_tool("pg_dump", major)  # the one the cockpit picks too
        print(f"pg_dump: {pg_dump.describe()}; S3: SeaweedFS at {s3.endpoint}")
        config = folder / "cockpit.toml"
        config.write_text(
            f'[targets.bench]\n\n[[targets.bench.databases]]\nname = "app"\ndsn = "{server.dsn()}"\n\n'
            f'[[targets.bench.backups]]\nname = "s3"\nkind = "s3"\nbucket = "{BUCKET}"\n'
            f'prefix = "bench/"\nendpoint_url = "{s3.endpoint}"\n'
        )
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "COCKPIT_STATE_DIR": str(folder / "state"),
        }
        cockpit = [str(Path(sys.executable).parent / "cockpit"), "backup", "run", "--config", str(config)]
        dump_file = folder / "backup.sql.gz"
        manual = [str(pg_dump.path), "-d", f"'{server.dsn()}'", "|", "gzip", ">", str(dump_file)]
        ours: list[tuple[float, int]] = []
        piped: list[float] = []
        uploads: list[tuple[float, int]] = []
        for run in range(args.runs):
            ours.append(timed(cockpit, env))
            piped.append(timed(manual, env, shell=True)[0])
            key = f"manual/{run}.sql.gz"
            upload = [sys.executable, "-c", UPLOAD, s3.endpoint, str(dump_file), BUCKET, key]
            uploads.append(timed(upload, env))
            print(
                f"run {run + 1}: ops-cockpit {ours[-1][0]:.1f} s, {ours[-1][1] / 1e6:.0f} MB RSS; "
                f"pg_dump | gzip {piped[-1]:.1f} s ({dump_file.stat().st_size / 1e6:,.0f} MB), "
                f"upload {uploads[-1][0]:.1f} s, {uploads[-1][1] / 1e6:.0f} MB RSS",
                flush=True,
            )
        dumps = s3.client().list_objects_v2(Bucket=BUCKET, Prefix="bench/")["Contents"]
        dump_size = max(o["Size"] for o in dumps if o["Key"].endswith(".dump"))
        cockpit_s = statistics.median(t for t, _ in ours)
        manual_s = statistics.median(piped)
        upload_s = statistics.median(t for t, _ in uploads)
        print(f"\nmedians of {args.runs} runs, database {size / 1e6:,.0f} MB:")
        print(
            f"ops-cockpit backup run   {cockpit_s:6.1f} s  peak RSS {max(r for _, r in ours) / 1e6:4.0f} MB"
            f"  dump {dump_size / 1e6:,.0f} MB, {size / 1e6 / cockpit_s:.0f} MB/s of database"
        )
        print(f"pg_dump | gzip           {manual_s:6.1f} s  ratio {cockpit_s / manual_s:.2f} (goal <= 0.6)")
        both = manual_s + upload_s
        print(
            f"pg_dump | gzip + upload  {both:6.1f} s  ratio {cockpit_s / both:.2f}"
            f"  (upload peak RSS {max(r for _, r in uploads) / 1e6:.0f} MB)"
        )
    finally:
        s3.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
