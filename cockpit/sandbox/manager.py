"""Start and stop the whole sandbox, and write a config that points at it.

``up`` starts PostgreSQL, SeaweedFS and the services process in the background, seeds the
backup stores with real dumps of different ages, writes ``DIR/cockpit.toml`` and
``DIR/sandbox.json`` (pids and ports, never secrets). ``down`` stops every process it started
and checks that none of its ports still listens.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError, CredentialError
from cockpit.sandbox.certs import CertificateAuthority
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.sandbox.processes import (
    free_port,
    pid_alive,
    port_is_listening,
    stop_pid,
    wait_for_port,
)
from cockpit.sandbox.s3 import BUCKET, GRPC_OFFSET, SandboxS3
from cockpit.sandbox.services import ENDPOINTS

STATE_FILE = "sandbox.json"
CONFIG_FILE = "cockpit.toml"
S3_KEY_NAMES = ("sandbox-s3-access-key", "sandbox-s3-secret-key")
# Certificate lifetimes chosen so the secrets pane has one of each verdict.
CERT_DAYS = {"healthy": 365, "slow": 20, "failing": 5}
# Ages of the seeded backups: fresh, a day old, and one past a 7-day retention.
BACKUP_AGES = (timedelta(hours=2), timedelta(hours=26), timedelta(days=8))


@dataclass
class SandboxStatus:
    """What ``up`` started; saved as ``sandbox.json`` so that ``down`` can stop it."""

    folder: Path
    postgres_port: int = 0
    s3_ports: dict[str, int] = field(default_factory=dict)
    https_ports: dict[str, int] = field(default_factory=dict)
    weed_pid: int | None = None
    services_pid: int | None = None
    started_at: str = ""
    startup_seconds: float = 0.0
    s3_credentials_in_keyring: bool = False

    def save(self) -> None:
        data = {k: v for k, v in self.__dict__.items() if k != "folder"}
        (self.folder / STATE_FILE).write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, folder: Path) -> SandboxStatus:
        path = folder / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise CockpitError(f"no sandbox in {folder} (no {STATE_FILE}): nothing to stop") from None
        return cls(folder=folder, **data)

    def all_ports(self) -> list[int]:
        grpc = [p + GRPC_OFFSET for p in self.s3_ports.values()]
        return [self.postgres_port, *self.s3_ports.values(), *grpc, *self.https_ports.values()]


class Sandbox:
    """The sandbox living in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.postgres = SandboxPostgres(self.folder / "postgres")
        self.s3 = SandboxS3(self.folder / "s3")
        self.status = SandboxStatus(folder=self.folder)
        self._services: subprocess.Popen[bytes] | None = None
        self._owner_pid: int | None = None
        self._authority: CertificateAuthority | None = None

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG_FILE

    def up(self, *, store_keys_in_keyring: bool = True, owner_pid: int | None = None) -> Path:
        """Start everything; on any failure stop what was started. Returns the config path.

        With ``owner_pid``, the sandbox stops itself when that process dies without stopping it
        (`cockpit demo` and the test fixtures pass their own pid; `cockpit sandbox up` does not).
        """
        self._owner_pid = owner_pid
        if (self.folder / STATE_FILE).exists():
            previous = SandboxStatus.load(self.folder)
            if any(port_is_listening(p) for p in previous.all_ports() if p):
                raise CockpitError(
                    f"a sandbox is already running in {self.folder}: "
                    f"run `cockpit sandbox down --dir {self.folder}` first"
                )
        began = time.monotonic()
        self._reset_folder()
        try:
            self._authority = CertificateAuthority(self.folder / "certs")
            self.postgres.init()
            self.postgres.start()
            self.status.postgres_port = self.postgres.port
            self.status.save()
            self.postgres.load_schema()
            self.s3.start()
            self.status.s3_ports = dict(self.s3.ports)
            self.status.weed_pid = self.s3.pid
            self.status.save()
            self._start_services()
            self._seed_backups()
            if store_keys_in_keyring:
                self.status.s3_credentials_in_keyring = self._store_s3_keys()
            self.status.started_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.status.startup_seconds = round(time.monotonic() - began, 2)
            self.status.save()
            self.write_config()
        except BaseException:
            self.down()
            raise
        return self.config_path

    def _reset_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in ("postgres", "s3", "certs", "backups-folder", STATE_FILE, CONFIG_FILE):
            path = self.folder / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def _start_services(self) -> None:
        assert self._authority is not None, "up() makes the CA first"
        endpoints: dict[str, dict[str, Any]] = {}
        for name in ENDPOINTS:
            issued = self._authority.issue(
                name, ["localhost", "127.0.0.1"], expires_in=timedelta(days=CERT_DAYS[name])
            )
            # None of the sandbox's others: weed binds some of its gRPC ports after it answers.
            port = free_port(avoid=self.status.all_ports())
            endpoints[name] = {"port": port, "cert": str(issued.cert_path), "key": str(issued.key_path)}
            self.status.https_ports[name] = port
        spec = self.folder / "services.json"
        spec.write_text(
            json.dumps(
                {
                    "dsn": self.postgres.dsn(),
                    "endpoints": endpoints,
                    "owner_pid": self._owner_pid,
                    "weed_pid": self.s3.pid,
                    "postgres_folder": str(self.postgres.folder),
                }
            )
        )
        log = (self.folder / "services.log").open("ab")
        with log:
            process = subprocess.Popen(
                [sys.executable, "-m", "cockpit.sandbox.services", str(spec)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.folder,
            )
        self._services = process
        self.status.services_pid = process.pid
        self.status.save()
        for name, port in self.status.https_ports.items():
            wait_for_port(port, 20, what=f"sandbox health endpoint {name}", log=self.folder / "services.log")

    def _seed_backups(self) -> None:
        """Real dumps in the S3 bucket and in a folder, each with a manifest beside it."""
        dump = self.folder / "seed.dump"
        self.postgres.dump(dump)
        payload = dump.read_bytes()
        dump.unlink()
        digest = hashlib.sha256(payload).hexdigest()
        now = datetime.now(UTC)
        client = self.s3.client()
        for age in BACKUP_AGES:
            created = now - age
            key = f"app/{created:%Y-%m-%dT%H%M%SZ}.dump"
            manifest = _manifest(key.removeprefix("app/"), created, len(payload), digest)
            client.put_object(Bucket=BUCKET, Key=key, Body=payload)
            client.put_object(Bucket=BUCKET, Key=key + ".manifest.json", Body=json.dumps(manifest).encode())
        client.put_object(Bucket=BUCKET, Key="README.txt", Body=b"not a backup: a foreign object")
        folder = self.folder / "backups-folder" / "app"
        folder.mkdir(parents=True)
        created = now - timedelta(hours=30)  # older than a 24h RPO: a finding to show
        name = f"{created:%Y-%m-%dT%H%M%SZ}.dump"
        (folder / name).write_bytes(payload)
        (folder / (name + ".manifest.json")).write_text(
            json.dumps(_manifest(name, created, len(payload), digest))
        )

    def _store_s3_keys(self) -> bool:
        """Keep the sandbox's S3 keys in the keyring when there is one; say so either way."""
        from cockpit.secrets import credentials
        from cockpit.state import StateStore

        store = StateStore(self.folder / "state.sqlite3")
        try:
            credentials.set_secret(S3_KEY_NAMES[0], self.s3.access_key, store)
            credentials.set_secret(S3_KEY_NAMES[1], self.s3.secret_key, store)
        except CredentialError:
            return False
        finally:
            store.close()
        return True

    def s3_environment(self) -> dict[str, str]:
        """The standard AWS variables for this sandbox (``cockpit demo`` sets them in-process)."""
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def write_config(self) -> Path:
        from cockpit.sandbox.config_writer import sandbox_config

        text = sandbox_config(self.status, self.s3.endpoint, self.postgres.dsn())
        self.config_path.write_text(text)
        return self.config_path

    def is_up(self) -> bool:
        """Whether ``up`` left something here that ``down`` should stop."""
        return (self.folder / STATE_FILE).exists() or (self.postgres.pgdata / "postmaster.pid").exists()

    def down(self) -> None:
        """Stop everything ``up`` started (also after a crash of ``up``), then check the ports."""
        status = self.status
        if (self.folder / STATE_FILE).exists():
            status = SandboxStatus.load(self.folder)
        if status.weed_pid is not None and pid_alive(status.weed_pid):
            stop_pid(status.weed_pid)
        self.s3.stop()
        if status.postgres_port or (self.postgres.pgdata / "postmaster.pid").exists():
            try:
                self.postgres.stop()
            except CockpitError:
                _kill_postmaster(self.postgres.pgdata)
        # The services process is also the dead man's switch: it goes last, so a down() cut
        # short still leaves it to stop what is left.
        if status.services_pid is not None and pid_alive(status.services_pid):
            stop_pid(status.services_pid)
        if self._services is not None:
            stop_pid(self._services.pid)
            self._services.wait(10)
            self._services = None
        deadline = time.monotonic() + 10
        busy = [p for p in status.all_ports() if p]
        while busy and time.monotonic() < deadline:
            busy = [p for p in busy if port_is_listening(p)]
            time.sleep(0.05)
        if busy:
            raise CockpitError(f"sandbox ports still listening after down: {busy}")
        if (self.folder / STATE_FILE).exists():
            (self.folder / STATE_FILE).unlink()


def _manifest(key: str, created: datetime, size: int, digest: str) -> dict[str, Any]:
    return {
        "key": key,
        "database": "app",
        "format": "custom",
        "size": size,
        "sha256": digest,
        "created_at": created.isoformat(timespec="seconds"),
        "tool": "pg_dump (sandbox seed)",
        "verified_at": None,
    }


def _kill_postmaster(pgdata: Path) -> None:
    pid_file = pgdata / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().splitlines()[0])
        if pid_alive(pid):
            os.kill(pid, 9)
