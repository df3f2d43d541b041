"""Fixtures shared by every layer of tests: real services, never mocks.

* ``sandbox``: the real embedded PostgreSQL, SeaweedFS and HTTPS endpoints (one per xdist worker).
* ``estate``: on the sandbox's server, the non-superuser observer / operator / restore roles
  with password auth and the database they work on (tests/estate.py).
* ``streaming_standby``: a quiet primary of its own with a real streaming standby through a slot
  (tests/estate_standby.py).
* ``keyring_env``: a private D-Bus session with gnome-keyring unlocked: the real Secret Service.
* ``run_cockpit``: the real ``cockpit`` console script in a subprocess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.estate import EstateRoles, create_estate
from tests.estate_standby import StreamingPair, start_streaming_pair

if TYPE_CHECKING:
    import psycopg

COCKPIT = str(Path(sys.executable).parent / "cockpit")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    state = StateStore(tmp_path / "state.sqlite3")
    yield state
    state.close()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("sandbox"))
    box.up(store_keys_in_keyring=False, owner_pid=os.getpid())  # dies with this worker
    yield box
    box.down()


@pytest.fixture(scope="session")
def estate(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> EstateRoles:
    """The roles a real estate gives the cockpit (README, "Database roles"), on the sandbox."""
    return create_estate(sandbox.postgres, tmp_path_factory.mktemp("estate"))


@pytest.fixture(scope="session")
def streaming_standby(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamingPair]:
    """A quiet primary of its own and a real streaming standby through a slot (estate_standby.py)."""
    pair = start_streaming_pair(tmp_path_factory.mktemp("replication"))
    yield pair
    pair.stop()


def own_database(sandbox: Sandbox, name: str, *extensions: str) -> str:
    """A database of a test module's own on the sandbox's server, made once per server: what its
    tests change (VACUUMs, archived rows) never shows in `app`. Its DSN."""
    import psycopg

    with psycopg.connect(sandbox.postgres.dsn("postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f"CREATE DATABASE {name}".encode())
            with psycopg.connect(sandbox.postgres.dsn(name), autocommit=True) as conn:
                for extension in extensions:
                    conn.execute(f"CREATE EXTENSION {extension}".encode())
    return sandbox.postgres.dsn(name)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that could reach a real user keyring or D-Bus, and minus
    COLUMNS and LINES: a test's terminal (tmux) has its own size, and those two override it for
    Textual (shutil.get_terminal_size reads them first). The suite's xdist workers carry them
    (COLUMNS=80, LINES=24), which would draw every 160x48 or 40x12 tmux test at 80x24."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBUS_", "PYTHON_KEYRING", "COCKPIT_", "AWS_")) and k not in ("COLUMNS", "LINES")
    }
    env.update(extra)
    return env


@contextmanager
def secret_service(home: Path) -> Iterator[dict[str, str]]:
    """A private session bus with gnome-keyring's Secret Service, unlocked; the env to reach it."""
    if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        pytest.fail("gnome-keyring and dbus are required: run the README's test command")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = clean_env(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_RUNTIME_DIR=str(runtime))
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1", "--nopidfile"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=10,
    ).stdout.split()
    address, bus_pid = out[0], int(out[1])
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input="test-password\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=20,
    )
    try:
        yield env
    finally:
        # gnome-keyring-daemon leaves when its bus goes away; make sure of it.
        for line in subprocess.run(
            ["pgrep", "-f", "gnome-keyring-daemon"], capture_output=True, text=True
        ).stdout.split():
            with contextlib.suppress(OSError):
                environ = Path(f"/proc/{line}/environ").read_bytes()
                if address.encode() in environ:
                    os.kill(int(line), 15)
        os.kill(bus_pid, 15)


@pytest.fixture(scope="session")
def keyring_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real Secret Service, shared by the tests of a worker."""
    with secret_service(tmp_path_factory.mktemp("keyring-home")) as env:
        yield env


@pytest.fixture
def private_keyring_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Secret Service of this test's own, for tests that lock it."""
    home = tmp_path / "keyring-home"
    home.mkdir()
    with secret_service(home) as env:
        yield env


@pytest.fixture
def run_cockpit(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the real ``cockpit`` command; returns CompletedProcess with text output."""

    def run(
        *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        environment = dict(env if env is not None else clean_env())
        environment.setdefault("COCKPIT_STATE_DIR", str(tmp_path / "state"))
        return subprocess.run(
            [COCKPIT, *args],
            capture_output=True,
            text=True,
            env=environment,
            input=input,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    return run


# -- a real lock wait, for the sessions view and the lock tree ---------------------------------


@dataclass
class Blocker:
    """A real lock wait: ``holder`` keeps a row locked (idle in transaction), ``waiter`` waits."""

    holder: psycopg.Connection
    waiter: psycopg.Connection
    table: str
    waiter_outcome: list[str] = field(default_factory=list)

    @property
    def holder_pid(self) -> int:
        return self.holder.info.backend_pid

    @property
    def waiter_pid(self) -> int:
        return self.waiter.info.backend_pid


@pytest.fixture
def blocker(sandbox: Sandbox) -> Iterator[Blocker]:
    """A lock wait of the test's own on the sandbox: a table, a holder, a waiter (cleaned up)."""
    import psycopg

    table = f"locked_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, n int)".encode())
        admin.execute(f"INSERT INTO {table} VALUES (1, 0)".encode())
    holder = psycopg.connect(sandbox.postgres.dsn(), application_name="test-holder")
    holder.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 1".encode())  # the transaction stays open
    waiter = psycopg.connect(sandbox.postgres.dsn(), application_name="test-waiter", autocommit=True)
    found = Blocker(holder, waiter, table)

    def wait() -> None:
        try:
            waiter.execute(f"UPDATE {table} SET n = n + 10 WHERE id = 1".encode())
            found.waiter_outcome.append("updated")
        except psycopg.Error as exc:
            found.waiter_outcome.append(type(exc).__name__)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        for _ in range(100):  # until the server says it waits
            row = admin.execute("SELECT pg_blocking_pids(%s)", (found.waiter_pid,)).fetchone()
            if row and found.holder_pid in row[0]:
                break
            threading.Event().wait(0.05)
    try:
        yield found
    finally:
        for conn in (holder, waiter):
            with contextlib.suppress(Exception):
                conn.close()
        thread.join(10)
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
            admin.execute(f"DROP TABLE IF EXISTS {table}".encode())
