"""The flows issue 23 found broken, walked in the real `cockpit` in tmux under NO_COLOR, at 80x24
and 160x48: a confirmation dismissed says so and runs nothing, confirmed it runs; the `/` filter
is visible, follows the typing, and esc clears it; a blocker is terminated from the lock tree and
it is that backend, and only it, that ends.

The dialogs run in `cockpit demo` (its own sandbox: the backup taken stays there); the filter and
the lock tree in `cockpit --config` on the test sandbox, where the test makes its blocker."""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg
import pytest

from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, Blocker, clean_env
from tests.e2e.test_demo_in_tmux import Tmux, demo_processes

pytestmark = pytest.mark.e2e

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
REVERSE = re.compile(r"\x1b\[[0-9;]*\b7m[^\n]*▶ Cancel ◀")  # SGR 7: reverse video


def colour_screen(tmux: Tmux) -> str:
    """The screen with its attributes (bold, reverse...) as escape sequences."""
    return tmux.run("capture-pane", "-e", "-p", "-t", tmux.session)


def wait_gone(tmux: Tmux, text: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    screen = tmux.screen()
    while text in screen and time.monotonic() < deadline:
        time.sleep(0.2)
        screen = tmux.screen()
    assert text not in screen, f"{text!r} stayed; the screen was:\n{screen}"
    return screen


@SIZES
def test_a_confirmation_dismissed_says_so_and_confirmed_runs(tmp_path: Path, size: tuple[int, int]) -> None:
    tmux = Tmux(tmp_path)
    done = tmp_path / "exit-code"
    env = clean_env(TERM="xterm-256color", NO_COLOR="1", TMPDIR=str(tmp_path))
    tmux.start(f"{COCKPIT} demo; echo $? > {done}; sleep 60", env, size=size)
    try:
        tmux.wait_for("primary+0", timeout=90)
        tmux.keys("4")
        screen = tmux.wait_for("VERIFIED", timeout=30)
        backups_before = screen.count(".dump")
        tmux.keys("b")
        screen = tmux.wait_for("▶ Cancel ◀")
        # Named by its effect, and plain: the focused one alone is marked, in reverse video.
        assert "Back up to s3" in screen and "▶ Back up to s3 ◀" not in screen
        assert REVERSE.search(colour_screen(tmux)), "the focused button is not in reverse video"
        assert "esc: cancel" in screen
        tmux.keys("Enter")  # the safe default: nothing runs, and it says so
        tmux.wait_for("cancelled: nothing ran")
        assert "Back up app to s3" in tmux.screen()

        tmux.keys("b")
        tmux.wait_for("▶ Cancel ◀")
        tmux.keys("Left")
        screen = tmux.wait_for("▶ Back up to s3 ◀")
        assert "▶ Cancel ◀" not in screen
        tmux.keys("Enter")
        tmux.wait_for("Back up app to s3: done", timeout=60)
        deadline = time.monotonic() + 30  # the pane lists the new backup
        while tmux.screen().count(".dump") <= backups_before and time.monotonic() < deadline:
            time.sleep(0.3)
        assert tmux.screen().count(".dump") > backups_before or size == (80, 24)  # 80x24: rows cut
        tmux.keys("q")
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists() and done.read_text().strip() == "0"
    finally:
        tmux.kill()
    deadline = time.monotonic() + 30
    while demo_processes(f"{tmp_path}/cockpit-demo-") and time.monotonic() < deadline:
        time.sleep(0.3)


@SIZES
def test_filter_then_terminate_the_blocker_from_the_lock_tree(
    sandbox: Sandbox, blocker: Blocker, tmp_path: Path, size: tuple[int, int]
) -> None:
    env = clean_env(
        TERM="xterm-256color", NO_COLOR="1", COCKPIT_STATE_DIR=str(tmp_path / "state"),
        **sandbox.s3_environment(),
    )  # fmt: skip
    tmux = Tmux(tmp_path)
    tmux.start(f"{COCKPIT} --config {sandbox.config_path}", env, size=size)
    holder, waiter = blocker.holder_pid, blocker.waiter_pid
    try:
        tmux.wait_for("1 Health")
        tmux.keys("2")
        tmux.wait_for("statements by total_exec_time", timeout=30)
        tmux.wait_for("pg_sleep", timeout=30)  # the workload's 0.6 s statement

        # The filter: one visible row, the rows follow the typing, the summary names it.
        tmux.keys("/")
        tmux.wait_for("/ filter:")
        tmux.keys("-l", "min:100ms")
        screen = tmux.wait_for("match min:100ms")
        assert "/ filter: min:100ms" in screen
        assert re.search(r"\d+ of \d+ match min:100ms", screen)
        assert not re.search(r"^ \d+us ", screen, re.M)  # no microsecond statement is left
        tmux.keys("Escape")  # esc clears it
        screen = wait_gone(tmux, "match min:100ms")
        assert "/ filter:" not in screen

        # The sessions: in words, and the whole session on enter (the filter picks the waiter).
        tmux.keys("v")
        screen = tmux.wait_for(f"WAITING for {holder}", timeout=30)
        assert "LOCKS" in screen and "XACT ▼" in screen
        tmux.keys("/")
        tmux.wait_for("/ filter:")
        tmux.keys("-l", "test-waiter")
        tmux.wait_for("1 of ")
        tmux.keys("Enter", "Enter")  # keep the filter, then open the one session it shows
        screen = tmux.wait_for(f"session {waiter}")
        flat = " ".join(re.sub("[█▌▐▀▄]", " ", screen).split())  # the detail's lines, unwrapped
        assert f"WAITING FOR {holder} (postgres, idle in transaction: UPDATE {blocker.table}" in flat
        assert "WAIT EVENT Lock:transactionid" in flat and "APPLICATION test-waiter" in flat
        assert "QUERY START" in flat and "ago)" in flat
        tmux.keys("Escape")
        wait_gone(tmux, f"session {waiter}")
        tmux.keys("Escape")  # and the filter goes
        wait_gone(tmux, "match test-waiter")

        # The lock tree: select the holder, K, the dialog names it, confirm.
        tmux.keys("v")
        tmux.wait_for(f"{holder} postgres idle in transaction BLOCKING 1")
        for _ in range(20):
            if f"▶ {holder} postgres" in tmux.screen():
                break
            tmux.keys("Down")
            time.sleep(0.3)
        assert f"▶ {holder} postgres idle in transaction BLOCKING 1" in tmux.screen()
        tmux.keys("K")
        screen = tmux.wait_for("▶ Keep it ◀")
        assert f"Terminate {holder}" in screen and f"• {holder} postgres (idle in transaction)" in screen
        tmux.keys("Left")
        tmux.wait_for(f"▶ Terminate {holder} ◀")
        tmux.keys("Enter")
        tmux.wait_for(f"{holder} (postgres): done", timeout=30)
    finally:
        tmux.kill()
    deadline = time.monotonic() + 15
    while not blocker.waiter_outcome and time.monotonic() < deadline:
        time.sleep(0.2)
    assert blocker.waiter_outcome == ["updated"]  # its blocker gone, the waiter went on
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as admin:
        alive = {row[0] for row in admin.execute("SELECT pid FROM pg_stat_activity").fetchall()}
    assert holder not in alive and waiter in alive  # that backend, and only it, ended
