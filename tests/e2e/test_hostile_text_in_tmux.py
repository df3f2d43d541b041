"""The real `cockpit` in tmux shows markup and terminal escapes from the database and the config
as they are (issue 21 item 2): a target named "[/]" and ``SELECT 1 /* [/] */`` in
pg_stat_statements are shown as text at start, on `2`, and on the next start (which reopens the
pane last looked at); `q` then exits 0 with no traceback. An escape sequence in a query is written
out, not obeyed: tmux, a real terminal, would colour the text if it reached it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pytest

from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, clean_env, own_database
from tests.e2e.test_demo_in_tmux import Tmux

pytestmark = pytest.mark.e2e

TARGET = "[/]"
COMMENT = "[/] [bold [@click=app.quit]q \x1b[31mred"
SHOWN = "/* [/] [bold [@click=app.quit]q \\x1b[31mred */"  # the escape written out, not obeyed


def test_markup_from_the_database_and_the_config_is_shown_as_it_is(sandbox: Sandbox, tmp_path: Path) -> None:
    dsn = own_database(sandbox, "hostile", "pg_stat_statements", "pgstattuple")
    with psycopg.connect(dsn, autocommit=True) as conn:
        # Among the top statements by total time even late in a full run. A shape of its own:
        # pg_stat_statements ignores comments, so a statement shaped like another test's would
        # share its entry and keep that one's text.
        for _ in range(3):
            conn.execute(f"SELECT 1 FROM pg_sleep(0.3) /* {COMMENT} */".encode())
    config = tmp_path / "cockpit.toml"
    config.write_text(
        f"""
[settings]
default_target = {json.dumps(TARGET)}

[targets.{json.dumps(TARGET)}]
description = "[bold]described"

[[targets.{json.dumps(TARGET)}.databases]]
name = "[link=x]db"
dsn = "{dsn}"
"""
    )
    done = tmp_path / "exit-code"
    command = f"env COCKPIT_STATE_DIR={tmp_path / 'state'} {COCKPIT} --config {config}"
    env = clean_env(TERM="xterm-256color")
    tmux = Tmux(tmp_path)
    tmux.start(f"{command}; echo $? > {done}; sleep 60", env, size=(160, 48))
    try:
        tmux.wait_for(f"ops-cockpit  {TARGET}")
        tmux.keys("2")
        screen = tmux.wait_for(SHOWN)
        assert "[link=x]db: " in screen  # the status line names the database as configured
        tmux.keys("q")
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.read_text().strip() == "0"
        assert "Traceback" not in tmux.screen() and "MarkupError" not in tmux.screen()
    finally:
        tmux.kill()

    # The next start reopens the Queries pane, statement and all.
    again = tmp_path / "again"
    again.mkdir()
    tmux = Tmux(again)
    tmux.start(command, env, size=(160, 48))
    try:
        screen = tmux.wait_for(SHOWN)
        assert f"ops-cockpit  {TARGET}" in screen
    finally:
        tmux.kill()
