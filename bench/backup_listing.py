"""The Backups pane's store listing on a bucket of 50,000 objects, beside the AWS CLI and boto3.

    python bench/backup_listing.py [--objects 50000] [--runs 5] [--threads 10]

Every refresh of the Backups pane (a minute while on screen, or `r`) runs
``StoreReader.inventory`` (cockpit.backups.inventory) on each store in a thread, on the reader the
pane keeps per store (its boto3 client, built once, and the manifests it read): it pages through
everything under the store's prefix (list_objects_v2, 1,000 keys a page), pairs each
``<key>.dump`` with its ``<key>.dump.manifest.json``, reads the newest ``MANIFESTS_READ``
manifests and those written since the last successful verification (the ones it has not read
yet, or that changed) and sorts out CSV exports and foreign objects. On a team's bucket
that has grown to tens of thousands of objects the listing is most of that refresh, so this
measures that function, called as the pane calls it, against the cheapest ways to list the same
prefix.

The fixture: a throwaway SeaweedFS S3 (the sandbox's ``weed mini``) whose bucket gets
``--objects`` tiny objects from a thread pool of boto3 ``put_object`` calls: the store's prefix
``prod/app/`` holds about a year and a half of hourly backups that were never pruned (a dump and
its manifest each, 50 % of the objects), finished CSV exports (6 %) and objects that are not
backups (the runbooks' hand-made ``pg_dump | gzip`` uploads, notes: 2 %); the rest of the
bucket is other prefixes the listing must not see: a WAL archive (``prod/app-wal/``, 30 %), a
staging database's backups (10 %), logs. Then a throwaway embedded PostgreSQL, two real
``cockpit backup run`` and a real ``cockpit backup verify --latest``, so the newest backups are
real ones the cockpit wrote and must find, and the last verification is a real one, its result
written into the newest backup's manifest last, as it happens. (The fill writes every object
within a couple of minutes, so which older manifests make the newest ``MANIFESTS_READ`` by
LastModified is arbitrary, and the fill's verifications, a weekly one in its backups, are dated
before the fill wrote them: without the real one, the search for the last verification could
not end before ``MANIFESTS_SEARCHED`` manifests.)

Then, alternating (the order rotates each run), ``--runs`` times each, each contender in a
fresh process (the Python ones list twice):

1. ops-cockpit: ``StoreReader(config).inventory()`` on the store's config (credentials from
   the environment, as a team's config without keyring refs gets them), twice on one reader.
   The second call is the pane's refresh in a running process; the first, from exec, is the
   cold start (the client built, every manifest it needs read).
2. The AWS CLI: ``aws s3 ls --recursive s3://backups/prod/app/``, endpoint and credentials in
   environment variables, from exec to exit (a pyenv shim is resolved to the real script first;
   without a working ``aws`` it is skipped, with a line saying why).
3. The floor: a bare boto3 client paginating list_objects_v2 over the same prefix, counting
   objects; the second listing reuses the client.

Wall time, CPU (user + system, from wait4 for the CLI, from the process itself for a listing)
and peak RSS (the process's VmHWM: Python, its imports and what the listing keeps).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backup_throughput import PeakRss, build

from cockpit.backups.inventory import (
    EXPORT_MANIFEST,
    EXPORT_PREFIX,
    MANIFEST_SUFFIX,
    MANIFESTS_READ,
    MANIFESTS_SEARCHED,
)
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.sandbox.s3 import BUCKET, SandboxS3, weed_binary

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "prod/app/"  # the store the cockpit lists
EXPORT_TABLES = 9  # CSV files per export, then its export.json

# The Python contenders, each run as `python -c SCRIPT endpoint bucket prefix repository`; each
# lists twice and prints one JSON line: the wall and CPU seconds of each listing, when the first
# ended (CLOCK_MONOTONIC, comparable with the parent's) and the process's CPU by then, and what
# it found.
COCKPIT_LISTING = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
from cockpit.config import BackupStore
from cockpit.backups.inventory import StoreReader, judge

config = BackupStore(
    name="bench", kind="s3", bucket=sys.argv[2], prefix=sys.argv[3], endpoint_url=sys.argv[1]
)
reader = StoreReader(config)  # as the pane keeps one per store
gets = []
out = {}
for name in ("first", "refresh"):
    wall, cpu = time.monotonic(), time.process_time()
    found = reader.inventory()
    out[name] = [time.monotonic() - wall, time.process_time() - cpu]
    out.setdefault("first_done", time.monotonic())
    out.setdefault("first_cpu", time.process_time())
    if name == "first" and not found.error:  # count the GETs of the refresh (manifest reads)
        reader.store.client.meta.events.register(
            "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
        )
if found.error:
    raise SystemExit(found.error)
newest = found.backups[0] if found.backups else None
out.update(
    objects=found.objects, backups=len(found.backups), exports=len(found.exports),
    foreign=len(found.foreign), newest=newest and newest.key, newest_database=newest and newest.database,
    manifests_read=sum(b.manifest is not None for b in found.backups), searched=found.searched,
    refresh_reads=len(gets), findings=[f"{f.severity.label} {f.check}: {f.message}" for f in judge(found)],
)
print(json.dumps(out))
"""

BOTO3_LISTING = """
import json, sys, time
wall, cpu = time.monotonic(), time.process_time()
import boto3

client = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
out = {}
for name in ("first", "refresh"):
    count = size = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix=sys.argv[3]):
        for stored in page.get("Contents", []):
            count += 1
            size += stored["Size"]
    out[name] = [time.monotonic() - wall, time.process_time() - cpu]
    out.setdefault("first_done", time.monotonic())
    out.setdefault("first_cpu", time.process_time())
    wall, cpu = time.monotonic(), time.process_time()
out.update(objects=count, size=size)
print(json.dumps(out))
"""


@dataclass(frozen=True, slots=True)
class Child:
    """One finished process: wall seconds from exec to exit, CPU seconds, peak RSS, its output."""

    started: float  # CLOCK_MONOTONIC at exec
    seconds: float
    cpu: float
    rss: int
    out: str


def run_child(argv: list[str], env: dict[str, str], folder: Path) -> Child:
    """Run to exit with output in files (a pipe could fill while we wait4); fails loudly. CPU
    comes from wait4, peak RSS from VmHWM (wait4's ru_maxrss also counts the forked copy of this
    process before exec, which holds the fixture's 50,000 keys)."""
    out_path, err_path = folder / "child.out", folder / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = PeakRss(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
    if process.returncode != 0:
        raise SystemExit(
            f"{argv[0]} failed ({process.returncode}): {err_path.read_text(errors='replace')[-1500:]}"
        )
    return Child(started, seconds, usage.ru_utime + usage.ru_stime, peak.stop(), out_path.read_text())


# -- the fixture ----------------------------------------------------------------------------------


def stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H%M%SZ}"  # cockpit backup run's and export's key format


def backup_pair(prefix: str, at: datetime, database: str, index: int) -> Iterator[tuple[str, bytes]]:
    """A dump (a tiny body) and its manifest, shaped as `cockpit backup run` writes them; every
    168th (weekly) backup was verified an hour after it was made."""
    key = f"{stamp(at)}.dump"
    body = b"PGDMP" + index.to_bytes(8, "big")
    verified = index % 168 == 0
    manifest = {
        "key": key,
        "database": database,
        "format": "custom",
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "created_at": at.isoformat(timespec="seconds"),
        "tool": "pg_dump (PostgreSQL) 18.1",
        "server_major": 18,
        "row_counts": {"public.accounts": 10_000, "public.events": 1_000_000 + index},
        "verified_at": (at + timedelta(hours=1)).isoformat(timespec="seconds") if verified else None,
        **({"verify_result": "ok"} if verified else {}),
    }
    yield prefix + key, body
    yield prefix + key + MANIFEST_SUFFIX, json.dumps(manifest, indent=1).encode()


@dataclass(frozen=True, slots=True)
class Layout:
    """What the fill writes, by part: (description, listed by the store?, objects)."""

    parts: list[tuple[str, bool, list[tuple[str, bytes]]]]

    @property
    def objects(self) -> list[tuple[str, bytes]]:
        return [o for _, _, objects in self.parts for o in objects]

    def listed(self) -> int:
        return sum(len(objects) for _, listed, objects in self.parts if listed)


def layout(total: int, now: datetime) -> Layout:
    """``total`` objects: shares of the bucket as the module docstring says."""
    hour = timedelta(hours=1)
    newest = now.replace(minute=0, second=0, microsecond=0) - 2 * hour  # the real ones come after
    backups = [
        o
        for i in range(total * 50 // 100 // 2)
        for o in backup_pair(PREFIX, newest - i * hour, "app", i)
    ]  # fmt: skip
    exports = []
    for i in range(total * 6 // 100 // (EXPORT_TABLES + 1)):
        folder = f"{PREFIX}{EXPORT_PREFIX}{stamp(newest - i * 24 * hour - timedelta(minutes=30))}/"
        exports += [(f"{folder}public.table_{t}.csv", b"id,name\n1,a\n") for t in range(EXPORT_TABLES)]
        exports.append((folder + EXPORT_MANIFEST, b'{"tables": {}}'))
    foreign = [
        (f"{PREFIX}manual/{stamp(newest - i * 72 * hour)}.sql.gz", b"\x1f\x8b manual dump")
        for i in range(total * 2 // 100 - 1)
    ] + [(f"{PREFIX}README.txt", b"hourly cockpit backups; manual/ holds the runbooks' dumps\n")]
    wal = [
        (f"prod/app-wal/wal_005/00000001{i // 256:08X}{i % 256:08X}.br", b"wal segment")
        for i in range(total * 30 // 100)
    ]
    staging = [
        o
        for i in range(total * 10 // 100 // 2)
        for o in backup_pair("staging/app/", newest - i * 6 * hour, "app_staging", i)
    ]  # fmt: skip
    used = len(backups) + len(exports) + len(foreign) + len(wal) + len(staging)
    logs = [(f"logs/pgbouncer/{stamp(newest - i * hour)}.log.gz", b"log") for i in range(total - used)]
    return Layout(
        [
            (f"{len(backups) // 2:,} hourly backups (dump + manifest)", True, backups),
            (
                f"{len(exports) // (EXPORT_TABLES + 1):,} CSV exports ({EXPORT_TABLES} tables each)",
                True,
                exports,
            ),
            ("hand-made dumps and notes (not backups)", True, foreign),
            ("prod/app-wal/: a WAL archive", False, wal),
            ("staging/app/: another store's backups", False, staging),
            ("logs/", False, logs),
        ]
    )


def fill(s3: SandboxS3, objects: list[tuple[str, bytes]], threads: int) -> float:
    """put_object from a thread pool (one client: boto3 clients are thread-safe); seconds."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name="us-east-1",
        config=Config(max_pool_connections=threads, retries={"max_attempts": 5}),
    )
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(lambda o: client.put_object(Bucket=BUCKET, Key=o[0], Body=o[1]), objects):
            pass
    return time.perf_counter() - began


def real_backups(folder: Path, s3: SandboxS3, env: dict[str, str], count: int) -> tuple[list[str], str]:
    """``count`` real ``cockpit backup run`` of a small database into the store, then a real
    ``cockpit backup verify --latest``; their keys."""
    import psycopg

    server = SandboxPostgres(folder / "pg")
    try:
        server.init()
        server.start()
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE app")
            version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        size = build(server.dsn(), 1)
        config = folder / "cockpit.toml"
        config.write_text(
            f'[targets.bench]\n\n[[targets.bench.databases]]\nname = "app"\ndsn = "{server.dsn()}"\n\n'
            f'[[targets.bench.backups]]\nname = "s3"\nkind = "s3"\nbucket = "{BUCKET}"\n'
            f'prefix = "{PREFIX}"\nendpoint_url = "{s3.endpoint}"\n'
        )
        cockpit = [str(Path(sys.executable).parent / "cockpit"), "backup"]
        state = {**env, "COCKPIT_STATE_DIR": str(folder / "state")}
        keys = []
        for _ in range(count):
            done = run_child([*cockpit, "run", "--config", str(config)], state, folder)
            keys.append(done.out.split(":")[0].split("/", 1)[1])  # "s3/<key>: N bytes, sha256 ..."
            time.sleep(1.1)  # keys are the start time to the second: the next one starts in another
        assert len(set(keys)) == count, keys
        run_child([*cockpit, "verify", "--config", str(config), "--latest"], state, folder)
        return keys, f"PostgreSQL {version}, database app {size / 1e6:.0f} MB"
    finally:
        server.stop()


# -- the contenders -------------------------------------------------------------------------------


def find_aws() -> tuple[list[str] | None, str]:
    """The AWS CLI's command (a pyenv shim resolved to the real script: the shim's bash and
    `pyenv exec` are not the CLI's time) and its version; None and why when it is unusable."""
    found = shutil.which("aws")
    if found is None:
        return None, "not installed (no `aws` on PATH)"
    command = found
    if Path(found).parent.name == "shims":
        pyenv = Path(found).parent.parent / "libexec" / "pyenv"
        real = subprocess.run([str(pyenv), "which", "aws"], capture_output=True, text=True, check=False)
        if real.returncode == 0 and real.stdout.strip():
            command = real.stdout.strip()
    try:
        version = subprocess.run(
            [command, "--version"], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"`{command} --version` failed: {exc}"
    return [command], (version.stdout or version.stderr).strip()


@dataclass
class Samples:
    """One contender's figures over the runs (seconds, bytes)."""

    wall: list[float] = field(default_factory=list)  # the measured listing: the second one
    cpu: list[float] = field(default_factory=list)
    cold_wall: list[float] = field(default_factory=list)  # from exec to the first listing's end
    cold_cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # the process's peak

    def add(self, run: Samples) -> None:
        self.wall += run.wall
        self.cpu += run.cpu
        self.cold_wall += run.cold_wall
        self.cold_cpu += run.cold_cpu
        self.rss += run.rss

    def figures(self, cold: bool = False) -> str:
        wall, cpu = (self.cold_wall, self.cold_cpu) if cold else (self.wall, self.cpu)
        return (
            f"{statistics.median(wall) * 1000:7,.0f} ms  CPU {statistics.median(cpu) * 1000:6,.0f} ms"
            f"  peak RSS {max(self.rss) / 1e6:4.0f} MB"
        )


def ratio(ours: list[float], theirs: list[float]) -> str:
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}"


def measure(name: str, aws: list[str] | None, s3: SandboxS3, env: dict[str, str], folder: Path) -> tuple[
    Samples, int, dict[str, Any]
]:  # fmt: skip
    """One run of one contender: its figures, the objects it listed, what it reported."""
    if name == "aws":
        assert aws is not None
        child = run_child([*aws, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}"], env, folder)
        one = [child.seconds], [child.cpu]
        return Samples(*one, *one, [child.rss]), len(child.out.splitlines()), {}
    script = COCKPIT_LISTING if name == "ops-cockpit" else BOTO3_LISTING
    child = run_child([sys.executable, "-c", script, s3.endpoint, BUCKET, PREFIX, str(ROOT)], env, folder)
    report = json.loads(child.out)
    samples = Samples(
        [report["refresh"][0]], [report["refresh"][1]],
        [report["first_done"] - child.started], [report["first_cpu"]], [child.rss],
    )  # fmt: skip
    return samples, int(report["objects"]), report


def weed_version() -> str:
    weed = subprocess.run([weed_binary(), "version"], capture_output=True, text=True, check=False)
    return weed.stdout.split()[2] if weed.returncode == 0 else "?"


def sandbox_aws_env(s3: SandboxS3, folder: Path) -> dict[str, str]:
    """The AWS variables for the bench's SeaweedFS, and nobody's profile or instance role."""
    return {
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def add_fixture_arguments(parser: argparse.ArgumentParser) -> None:
    """The bucket fixture's size, for this benchmark and bench/latency_under_load.py."""
    parser.add_argument("--objects", type=int, default=50_000, help="in the bucket (at least 200)")
    parser.add_argument("--threads", type=int, default=10, help="put_object threads filling the bucket")
    parser.add_argument("--real-backups", type=int, default=2, help="`cockpit backup run` after the fill")


def check_fixture_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.objects < 200:
        parser.error("--objects must be at least 200 (each part of the fixture's layout needs a few)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fixture_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    check_fixture_arguments(parser, args)

    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-listing-"))
    folder.chmod(0o755)
    s3 = SandboxS3(folder / "s3")
    try:
        s3.start()
        print(f"S3: SeaweedFS {weed_version()} at {s3.endpoint}")
        env = {**os.environ, **sandbox_aws_env(s3, folder), "AWS_ENDPOINT_URL": s3.endpoint}
        plan = layout(args.objects, datetime.now(UTC))
        seconds = fill(s3, plan.objects, args.threads)
        print(
            f"filled s3://{BUCKET} with {args.objects:,} objects in {seconds:.1f} s "
            f"({args.objects / seconds:,.0f} put_object/s, {args.threads} threads):"
        )
        for what, in_store, objects in plan.parts:
            print(f"  {len(objects):7,}  {PREFIX + ' ' if in_store else ''}{what}")
        keys, database = real_backups(folder, s3, env, args.real_backups)
        listed = plan.listed() + 2 * len(keys)
        print(
            f"then {len(keys)} real `cockpit backup run` ({database}): {', '.join(keys)}; "
            "`cockpit backup verify --latest`"
        )
        print(f"under {PREFIX}: {listed:,} objects, what every contender lists")

        aws, aws_version = find_aws()
        print(f"boto3 {__import__('boto3').__version__}; AWS CLI: {aws_version}")
        if aws is None:
            print(f"skipping the AWS CLI: {aws_version}")
        contenders = ["ops-cockpit", "boto3", *(["aws"] if aws else [])]
        samples = {name: Samples() for name in contenders}
        found: dict[str, Any] = {}
        for run in range(args.runs):
            order = contenders[run % len(contenders) :] + contenders[: run % len(contenders)]
            line = []
            for name in order:
                one, counted, report = measure(name, aws, s3, env, folder)
                if counted != listed:
                    raise SystemExit(f"{name} listed {counted:,} objects under {PREFIX}, not {listed:,}")
                samples[name].add(one)
                found = report if name == "ops-cockpit" else found
                line.append(f"{name} {one.wall[0] * 1000:,.0f} ms (CPU {one.cpu[0] * 1000:,.0f} ms)")
            print(f"run {run + 1}: " + "; ".join(line), flush=True)

        print(
            f"\nthe cockpit found {found['backups']:,} backups, {found['exports']:,} CSV exports,"
            f" {found['foreign']:,} foreign objects; newest {found['newest']} ({found['newest_database']});"
            f" {found['manifests_read']} manifests read (the newest MANIFESTS_READ = {MANIFESTS_READ}, and"
            f" {found['searched']} in the search for the last verification, MANIFESTS_SEARCHED ="
            f" {MANIFESTS_SEARCHED:,}), {found['refresh_reads']} read again on the refresh"
        )
        for finding in found["findings"]:
            print(f"  {finding}")
        if found["newest"] != keys[-1]:
            raise SystemExit(f"the cockpit's newest backup is {found['newest']}, not the real {keys[-1]}")
        if not any(f.startswith("ok backup.verified") and f"({keys[-1]})" in f for f in found["findings"]):
            raise SystemExit(f"the cockpit does not find the real verification of {keys[-1]}")

        ours, floor = samples["ops-cockpit"], samples["boto3"]
        print(f"\nmedians of {args.runs} runs, {listed:,} objects under {PREFIX} ({args.objects:,} in all)")
        print("per listing in a running process (the pane's refresh; the floor reuses its client):")
        print(f"ops-cockpit inventory() per refresh    {ours.figures()}")
        print(f"boto3 list_objects_v2 (floor)          {floor.figures()}")
        print(
            f"ratio ops-cockpit / boto3              {ratio(ours.wall, floor.wall):>7}"
            f"     CPU {ratio(ours.cpu, floor.cpu)}"
        )
        print("from exec to the first listing's end (imports, client, listing):")
        print(f"ops-cockpit inventory(), fresh process {ours.figures(cold=True)}")
        print(f"boto3 list_objects_v2, fresh process   {floor.figures(cold=True)}")
        print(
            f"ratio ops-cockpit / boto3              {ratio(ours.cold_wall, floor.cold_wall):>7}"
            f"     CPU {ratio(ours.cold_cpu, floor.cold_cpu)}"
        )
        if aws:
            cli = samples["aws"]
            print(f"aws s3 ls --recursive, exec to exit    {cli.figures()}")
            print(
                f"ratio ops-cockpit / aws CLI            {ratio(ours.cold_wall, cli.wall):>7}"
                f"     CPU {ratio(ours.cold_cpu, cli.cpu)}"
            )
    finally:
        s3.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nthe whole bench took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
