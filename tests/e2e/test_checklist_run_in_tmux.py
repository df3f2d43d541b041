"""A checklist run in the real `cockpit` in tmux, as on-call does it at 3 a.m. (issue 23 item 10):
a stray Enter starts nothing and says so; a start is confirmed; the run shows its severity; it is
abandoned with a reason; its report, exported from the run screen and from the command line,
says who abandoned it and why; the Checklists pane shows it abandoned without `r`. At 80x24 and
at 160x48, the small one under NO_COLOR (the dialog's focused button is marked by shape)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, clean_env
from tests.e2e.test_demo_in_tmux import Tmux

pytestmark = pytest.mark.e2e

REASON = "paged by mistake: the alert was a test"


def choose_incident_response(tmux: Tmux) -> None:
    """Enter on incident-response (the sixth checklist by id), its severity, then the dialog."""
    tmux.keys("Enter")
    tmux.wait_for("severity (P0/P1/P2/P3)")
    tmux.keys("P1", "Enter")
    tmux.wait_for("Start a run of 'Incident response (P0-P3)'")
    # The dialog is ready once its safe default has the focus: a key sooner may land before
    # (and lands on the safe side: the focus is then set on "Don't start" all the same).
    tmux.wait_for("▶ Don't start ◀")


@pytest.mark.parametrize(
    ("size", "no_color"), [((80, 24), True), ((160, 48), False)], ids=["80x24", "160x48"]
)
def test_start_confirmed_abandon_with_a_reason_and_export(
    sandbox: Sandbox, tmp_path: Path, size: tuple[int, int], no_color: bool
) -> None:
    state = tmp_path / "state"
    extra = {"NO_COLOR": "1"} if no_color else {}
    env = clean_env(TERM="xterm-256color", COCKPIT_STATE_DIR=str(state), **extra, **sandbox.s3_environment())
    tmux = Tmux(tmp_path)
    tmux.start(f"{COCKPIT} --config {sandbox.config_path}", env, size=size)
    try:
        tmux.wait_for("1 Health")
        tmux.keys("6")
        tmux.wait_for("incident-response")
        tmux.keys(*["Down"] * 5)
        time.sleep(0.3)

        choose_incident_response(tmux)
        screen = tmux.wait_for("▶ Don't start ◀")  # the safe button has the focus, marked
        assert "Start the run" in screen and "severity = P1" in screen
        tmux.keys("Enter")  # the stray Enter
        tmux.wait_for("cancelled: no run started")
        assert "Incident response (P0-P3)  P1" not in tmux.screen()

        choose_incident_response(tmux)
        tmux.keys("Left")
        tmux.wait_for("▶ Start the run ◀")
        tmux.keys("Enter")
        screen = tmux.wait_for("Incident response (P0-P3)  P1  [0/")
        assert "Respond: someone is on it (P1: 1 hour)" in screen
        assert "P0: 15 minutes" not in screen  # another severity's step is not this run's
        assert "started " in screen and " ago; running; you hold this run" in screen
        match = re.search(r"run (\d{8}-\d{4}-[0-9a-f]{6})", screen)
        assert match is not None
        run_id = match.group(1)

        tmux.keys("X")
        tmux.wait_for(f"Abandon run {run_id}?")
        tmux.keys(REASON, "Enter")
        tmux.wait_for(f"abandoned ({REASON[:30]}")
        tmux.keys("e")
        tmux.wait_for("report written to")
        reports = list((state / "reports").glob(f"incident-response-{run_id}.md"))
        assert len(reports) == 1
        written = reports[0].read_text()
        assert "- Status: **abandoned**" in written and f": {REASON}" in written
        assert "- Parameters: severity = P1" in written

        tmux.keys("Escape")  # the runs list says it without `r`
        screen = tmux.wait_for("abandoned", timeout=10)
        assert run_id[:13] in screen
    finally:
        tmux.kill()

    exported = subprocess.run(
        [COCKPIT, "checklist", "export", run_id, "--config", str(sandbox.config_path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert re.search(rf"- Abandoned by \S+ at [0-9: -]+UTC: {re.escape(REASON)}", exported.stdout)
    assert f"| run_finished |  | {REASON} |" in exported.stdout
    listed = subprocess.run(
        [COCKPIT, "checklist", "runs", "--config", str(sandbox.config_path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert listed.stdout.count("\n") == 1 and f"{run_id}  abandoned" in listed.stdout  # the stray one: none
