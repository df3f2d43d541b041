"""A dropped SSH session, then `cockpit` again: it reopens where you were (the run you hold, on
the step you were at, and the pane you last looked at)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, clean_env
from tests.e2e.test_demo_in_tmux import Tmux

pytestmark = pytest.mark.e2e


def cockpits_of(state: Path) -> str:
    out = subprocess.run(["pgrep", "-af", str(state)], capture_output=True, text=True)
    return out.stdout.strip()


def test_reopening_after_a_dropped_session_resumes_the_run(sandbox: Sandbox, tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = clean_env(TERM="xterm-256color", **sandbox.s3_environment())
    command = f"env COCKPIT_STATE_DIR={state} {COCKPIT} --config {sandbox.config_path}"
    tmux = Tmux(tmp_path)
    tmux.start(command, env)
    try:
        tmux.wait_for("1 Health")
        tmux.keys("6")
        tmux.wait_for("dr-drill")
        tmux.keys("Down", "Down", "Down")
        time.sleep(0.3)
        tmux.keys("Enter")
        tmux.wait_for("Start a run of 'Disaster recovery drill'")  # a run starts confirmed
        tmux.wait_for("▶ Don't start ◀")  # ready: the safe default has the focus
        tmux.keys("Left")
        tmux.wait_for("▶ Start the run ◀")
        tmux.keys("Enter")
        tmux.wait_for("Disaster recovery drill  [0/6]")
        tmux.keys("d")  # the first step done, then the connection drops
        tmux.wait_for("[1/6]")
    finally:
        tmux.kill()  # the terminal goes: SIGHUP, as when SSH drops
    deadline = time.monotonic() + 15
    while cockpits_of(state) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not cockpits_of(state), "the cockpit outlived its terminal"

    again = tmp_path / "again"
    again.mkdir()
    tmux = Tmux(again)
    tmux.start(command, env)
    try:
        screen = tmux.wait_for("resuming your unfinished run")
        assert "Disaster recovery drill  [1/6]" in screen
        assert "✔ Announce the drill to the team" in screen
        assert "[action] Restore the latest backup" in screen  # the cursor on the next open step
        tmux.keys("Escape")
        screen = tmux.wait_for("CHECKLIST")  # back on the pane last looked at: Checklists
        assert "dr-drill" in screen
    finally:
        tmux.kill()
