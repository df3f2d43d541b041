"""The real `cockpit demo` in tmux: it opens on the sandbox, keys work, and it leaves nothing."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import COCKPIT, clean_env

pytestmark = pytest.mark.e2e


class Tmux:
    def __init__(self, tmp_path: Path) -> None:
        if not shutil.which("tmux"):
            pytest.fail("tmux is required: run the README's test command")
        self.socket = str(tmp_path / "tmux.sock")
        self.session = f"cockpit-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=False
        ).stdout

    def start(self, command: str, env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        subprocess.run(
            [
                "tmux",
                "-S",
                self.socket,
                "new-session",
                "-d",
                "-s",
                self.session,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                command,
            ],
            env=env,
            check=True,
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def kill(self) -> None:
        self.run("kill-server")


def demo_processes(marker: str) -> str:
    return subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True).stdout.strip()


def test_demo_opens_switches_tabs_and_quits_cleanly(tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    done = tmp_path / "exit-code"
    env = clean_env(TERM="xterm-256color", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo; echo $? > {done}; sleep 60", env)
    try:
        tmux.wait_for("primary+0", timeout=90)
        screen = tmux.wait_for("failing  CRIT", timeout=30)  # the endpoint, then its status
        for tab in ("1 Health", "2 Queries", "3 Bloat", "4 Backups", "5 Secrets", "6 Checklists"):
            assert tab in screen
        assert "sandbox" in screen.splitlines()[0]
        assert "3 endpoints, 1 databases" in screen
        rows = [line.split()[:2] for line in screen.splitlines()]
        assert ["failing", "CRIT"] in rows and ["healthy", "OK"] in rows
        assert demo_processes(f"{tmp_path}/cockpit-demo-") != ""  # the sandbox runs under our TMPDIR
        tmux.keys("2")
        tmux.wait_for("statements by total_exec_time")
        tmux.keys("q")
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.read_text().strip() == "0"
        assert demo_processes(f"{tmp_path}/cockpit-demo-") == ""
        assert not list(tmp_path.glob("cockpit-demo-*"))
    finally:
        tmux.kill()


def test_a_dropped_session_still_stops_the_sandbox(tmp_path: Path) -> None:
    """Killing the terminal (SIGHUP, as a dropped SSH session) must not leave servers running."""
    tmux = Tmux(tmp_path)
    env = clean_env(TERM="xterm-256color", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo --read-only", env)
    try:
        screen = tmux.wait_for("primary+0", timeout=90)
        assert "READ-ONLY" in screen
        assert demo_processes(f"{tmp_path}/cockpit-demo-") != ""
    finally:
        tmux.kill()
    deadline = time.monotonic() + 60
    while demo_processes(f"{tmp_path}/cockpit-demo-") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert demo_processes(f"{tmp_path}/cockpit-demo-") == ""


def test_a_killed_demo_does_not_leave_its_servers(tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the sandbox's own watchdog stops it when `demo` is gone."""
    import os
    import signal

    tmux = Tmux(tmp_path)
    env = clean_env(TERM="xterm-256color", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo", env)
    try:
        tmux.wait_for("primary+0", timeout=90)
        # This pane's demo only: a pgrep for "cockpit demo" would kill the other tests' too.
        demo = int(tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_pid}").strip())
        assert "demo" in Path(f"/proc/{demo}/cmdline").read_text()
        os.kill(demo, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while demo_processes(f"{tmp_path}/cockpit-demo-") and time.monotonic() < deadline:
            time.sleep(0.3)
        assert demo_processes(f"{tmp_path}/cockpit-demo-") == ""
    finally:
        tmux.kill()


def test_q_then_a_hang_up_during_the_cleanup_leaves_nothing(tmp_path: Path) -> None:
    """`q`, and the terminal closes while the demo is stopping its servers: the second signal
    must not cut the cleanup short (it once left PostgreSQL running, its folder gone)."""
    tmux = Tmux(tmp_path)
    env = clean_env(TERM="xterm-256color", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo", env)
    try:
        tmux.wait_for("primary+0", timeout=90)
        tmux.keys("q")
        time.sleep(0.3)  # the app is closing; the sandbox not yet down
    finally:
        tmux.kill()  # SIGHUP now, in the middle of the cleanup
    deadline = time.monotonic() + 60
    while demo_processes(f"{tmp_path}/cockpit-demo-") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert demo_processes(f"{tmp_path}/cockpit-demo-") == ""
    deadline = time.monotonic() + 10
    while list(tmp_path.glob("cockpit-demo-*")) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not list(tmp_path.glob("cockpit-demo-*"))


def test_40x12_without_colour_degrades_and_quits(tmp_path: Path) -> None:
    """A phone's SSH client: 40 columns, 12 rows, NO_COLOR. Every pane opens, nothing crashes."""
    tmux = Tmux(tmp_path)
    done = tmp_path / "exit-code"
    env = clean_env(TERM="xterm", NO_COLOR="1", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo; echo $? > {done}; sleep 60", env, size=(40, 12))
    try:
        tmux.wait_for("sandbox", timeout=90)
        for pane in "123456":
            tmux.keys(pane)
            time.sleep(0.5)
            assert "Traceback" not in tmux.screen()
        tmux.keys("Tab", "v", "?")  # tmux's key names
        tmux.wait_for("Checklists pane (6)")  # the help, its pane's keys first, scrolled to fit
        tmux.keys("Escape")
        time.sleep(0.5)  # Escape then q at once is Alt+q to a terminal
        tmux.keys("q")
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists(), f"the demo did not quit; the screen was:\n{tmux.screen()}"
        assert done.read_text().strip() == "0"
    finally:
        tmux.kill()
    assert demo_processes(f"{tmp_path}/cockpit-demo-") == ""
