"""A cockpit running while its keyring is locked recovers by itself once `cockpit secret unlock`
has unlocked it: nothing to restart, as the locked message promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COCKPIT
from tests.e2e.test_demo_in_tmux import Tmux
from tests.integration.http_servers import EXPECTED_TOKEN, serve
from tests.integration.test_keyring import LOCK

pytestmark = pytest.mark.e2e


def test_the_running_tui_recovers_once_the_keyring_is_unlocked(
    private_keyring_env: dict[str, str], tmp_path: Path, run_cockpit
) -> None:
    env = dict(private_keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"), TERM="xterm-256color")
    stored = run_cockpit("secret", "set", "health-token", "--stdin", env=env, input=EXPECTED_TOKEN)
    assert stored.returncode == 0, stored.stderr
    locked = subprocess.run([sys.executable, "-c", LOCK], env=env, capture_output=True, text=True)
    assert locked.stdout.strip() == "True", locked.stderr
    tmux = Tmux(tmp_path)
    with serve() as port:
        config = tmp_path / "cockpit.toml"
        config.write_text(
            "[targets.t]\n[[targets.t.health]]\n"
            f'name = "api"\nurl = "http://127.0.0.1:{port}/auth"\ntoken = "keyring:health-token"\n'
            'interval_s = 0.5\nexpect_json = { status = "ok" }\n'
        )
        tmux.start(f"{COCKPIT} --config {config}", env, size=(160, 48))
        try:
            tmux.wait_for("the keyring is locked", timeout=60)
            unlocked = run_cockpit("secret", "unlock", "--stdin", env=env, input="test-password\n")
            assert unlocked.returncode == 0, unlocked.stderr
            tmux.keys("a")  # every finding, the OK ones too: the status check's own line
            screen = tmux.wait_for("200 in", timeout=30)
            status = next(line for line in screen.splitlines() if "http.status" in line)
            assert "OK" in status and "200 in" in status, screen
            # The samples taken while it was locked stay errors in the window (the error rate
            # says so, truly); no line says the keyring is locked any more.
            assert "the keyring is locked" not in tmux.screen()
        finally:
            tmux.kill()
