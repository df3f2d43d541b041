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
        "from screens.app import CockpitApp\n"
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


# What each pane shows once it has read its target (the demo's sandbox), by key.
PANE_SHOWS = {
    "1": "3 endpoints, 1 databases",
    "2": "statements by",
    "3": " tables, ",
    "4": ".dump",
    "5": "certs,",
    "6": "checklists (enter: start a run)",
}
# Where each target is left: a switch back must open it there.
LEFT_ON = {"sandbox": "3", "sandbox-protected": "5"}


def on_target(screen: str, name: str) -> bool:
    header = screen.splitlines()[0] if screen else ""
    return f" {name} " in header and (("PROTECTED" in header) == name.endswith("-protected"))


def use_every_pane(tmux: Tmux, target: str) -> None:
    for key in [*PANE_SHOWS, LEFT_ON[target]]:
        tmux.keys(key)
        screen = tmux.wait_for(PANE_SHOWS[key], timeout=30)
        assert on_target(screen, target), screen
        if key == "6":
            tmux.wait_for("inci")  # its table's rows (at 160x48 its columns came out cut short)
        assert "Traceback" not in screen


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_ten_target_switches_by_t_and_palette_keep_every_pane_and_key_alive(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """`t`, Down, Enter froze the demo (the key bar blank, even `q` dead) and the palette's
    "Target: ..." crashed it. Ten switches, every pane used after each, each target reopening on
    the pane it was left on; then `q` (80x24) or ctrl+c (160x48) quits, saying what it stops."""
    tmux = Tmux(tmp_path)
    done = tmp_path / "exit-code"
    env = clean_env(TERM="xterm-256color", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo; echo $? > {done}; sleep 60", env, size=size)
    try:
        tmux.wait_for("primary+0", timeout=90)
        target = "sandbox"
        use_every_pane(tmux, target)
        first_visit = True
        for switch in range(10):
            other = "sandbox-protected" if target == "sandbox" else "sandbox"
            if switch % 2:
                tmux.keys("C-p")
                tmux.wait_for("Search for commands")
                tmux.keys("Target: sandbox")
                tmux.wait_for(f"Switch to target {other}")
                tmux.keys("Down", "Enter")
            else:
                tmux.keys("t")
                tmux.wait_for("Switch target")
                tmux.keys("Down" if other == "sandbox-protected" else "Up", "Enter")
            deadline = time.monotonic() + 10
            while not on_target(screen := tmux.screen(), other):
                assert time.monotonic() < deadline, f"switch {switch + 1} to {other} never showed:\n{screen}"
                time.sleep(0.1)
            opens_on = "1" if first_visit and other == "sandbox-protected" else LEFT_ON[other]
            first_visit = first_visit and other != "sandbox-protected"
            tmux.wait_for(PANE_SHOWS[opens_on], timeout=30)
            keys_line = tmux.screen().splitlines()[-1]  # the key bar: blank when it froze
            assert "^p palette" in keys_line and keys_line.split("▏")[0].strip(), keys_line
            target = other
            use_every_pane(tmux, target)
        assert target == "sandbox"
        tmux.keys("q" if size == (80, 24) else "C-c")
        assert wait_for_file(done, tmux) == "0"
        screen = tmux.screen()
        assert "cockpit: stopping the sandbox (PostgreSQL, S3, HTTPS endpoints)..." in screen
        assert "cockpit: sandbox stopped in" in screen
    finally:
        tmux.kill()
