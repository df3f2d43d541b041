"""What the command line prints of foreign text is shown, never obeyed: a file in a backup store
named with terminal controls and a bidi override reaches the terminal written out, and the
command's own output (its table, its exit code) is unchanged around it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

# ESC [2J clears the screen, OSC 52 writes the clipboard, CR rewrites the line, U+202E reverses
# what follows: a name anyone with write access to the store can choose.
HOSTILE = "evil\x1b[2J\x1b]52;c;aGk=\x07\rok\u202egnp.dump"
SHOWN = "evil\\x1b[2J\\x1b]52;c;aGk=\\x07\\x0dok\\u202egnp.dump"


def test_backup_list_writes_out_what_a_file_name_would_do_to_the_terminal(
    tmp_path: Path, run_cockpit: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    store = tmp_path / "nas"
    store.mkdir()
    (store / HOSTILE).write_bytes(b"not a dump")
    config = tmp_path / "cockpit.toml"
    config.write_text(f"""
[targets.t]
[[targets.t.databases]]
name = "app"
dsn = "postgresql://nobody@127.0.0.1:1/app"
[[targets.t.backups]]
name = "nas"
kind = "folder"
path = "{store}"
""")
    listed = run_cockpit("backup", "list", "--config", str(config), "--store", "nas")
    out = listed.stdout + listed.stderr
    assert SHOWN in listed.stdout, listed.stdout
    for control in ("\x1b", "\x07", "\r", "\u202e"):
        assert control not in out
    assert listed.stdout.splitlines()[0] == "nas (folder): 0 backups, 1 foreign objects"
