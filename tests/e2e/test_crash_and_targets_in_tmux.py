"""The on-call flows in the real `cockpit` in tmux: switching target, quitting, and a crash that
never exits 0."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import COCKPIT, clean_env
from tests.e2e.test_demo_in_tmux import Tmux

pytestmark = pytest.mark.e2e

PYTHON = str(Path(COCKPIT).parent / "python")


def wait_for_file(path: Path, tmux: Tmux, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.exists(), f"the command never ended; the screen was:\n{tmux.screen()}"
    return path.read_text().strip()


def test_an_unhandled_exception_exits_70_with_one_line_and_the_crash_log(tmp_path: Path) -> None:
    """A crash in the TUI exited 0 with a traceback of local variables on the terminal. No crash
    is known any more, so this one is put there: `?` raises (the only double in this file)."""
    (tmp_path / "cockpit.toml").write_text('[targets.staging]\ndescription = "staging"\n')
    (tmp_path / "crashing.py").write_text(
        "import sys\n"
        "from cockpit import cli\n"
        "from cockpit.app import CockpitApp\n"
        "def broken(self):\n"
        "    raise RuntimeError('a fault put there by the test')\n"
        "CockpitApp.action_help = broken\n"
        "sys.exit(cli.main(['--config', sys.argv[1]]))\n"
    )
    state = tmp_path / "state"
    done = tmp_path / "exit-code"
    tmux = Tmux(tmp_path)
    env = clean_env(TERM="xterm-256color", COCKPIT_STATE_DIR=str(state))
    tmux.start(
        f"{PYTHON} {tmp_path / 'crashing.py'} {tmp_path / 'cockpit.toml'}; echo $? > {done}; sleep 60", env
    )
    try:
        tmux.wait_for("6 Checklists")
        tmux.keys("?")
        assert wait_for_file(done, tmux) == "70"
        screen = tmux.screen()
        log = state / "crash.log"
        line = f"cockpit: internal error in the TUI: RuntimeError: a fault put there by the test; details in {log}"
        assert line in screen.replace("\n", ""), screen
        assert "Traceback" not in screen and "locals" not in screen
        assert "RuntimeError: a fault put there by the test" in log.read_text()
        assert 'File "' in log.read_text()  # the whole traceback is in the log
    finally:
        tmux.kill()
