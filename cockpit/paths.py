"""Where ops-cockpit keeps its files: platform directories, overridable by environment.

``COCKPIT_STATE_DIR`` moves the state store (tests and the sandbox use it);
``COCKPIT_CONFIG`` names the config file.

What the cockpit writes is private to its user, whatever the umask: the state store (audit trail
with client addresses, checklist notes and evidence), crash.log, dumps and CSV exports (customer
data) are files of mode 0600 in folders of mode 0700 it creates (``private_dir``,
``open_private``). Left to the usual umask 022 they would be 0644 in 0755 folders: readable by
every user of the host.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

import platformdirs

APP_NAME = "ops-cockpit"
CONFIG_FILE_NAME = "cockpit.toml"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def state_dir() -> Path:
    override = os.environ.get("COCKPIT_STATE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_state_dir(APP_NAME))


def state_db_path() -> Path:
    return state_dir() / "state.sqlite3"


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` as a folder, each level created here of mode 0700 (``mkdir -p`` gives the
    parents the umask's mode; the mode given is also cut by the umask, hence the chmod). A
    folder that already exists is left as it is: it may be a share the operator chose."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process: theirs to set
            continue
        os.chmod(folder, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """An existing file of ours made 0600 (one an older version left 0644), if it is not yet."""
    with contextlib.suppress(FileNotFoundError, PermissionError):  # not there; not ours
        if path.stat().st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)


def open_private(path: Path, *, append: bool = False) -> BinaryIO:
    """``path`` opened for writing in binary (truncated, or appended to), the file created 0600
    or an existing one of ours made so."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        # The umask may have cut the mode, or the file existed. Only a regular file of ours: not
        # a terminal or a pipe given as -o, nor a file another user lets us write.
        if stat.S_ISREG(os.fstat(fd).st_mode):
            with contextlib.suppress(PermissionError):
                os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "ab" if append else "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str, *, append: bool = False) -> None:
    """``text`` (UTF-8) written to ``path`` as ``open_private`` opens it."""
    with open_private(path, append=append) as out:
        out.write(text.encode("utf-8"))
