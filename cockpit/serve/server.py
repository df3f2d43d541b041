"""``cockpit serve``: the cockpit in a browser, for observers, through textual-serve.

Every browser tab gets a cockpit process of its own (textual-serve runs one per connection),
started with ``--read-only``: the command is built here, never from the request, so a browser
cannot lift it. The bind is loopback unless ``--allow-remote`` says otherwise, and then a warning
says who can see what: textual-serve has no authentication, so anyone who reaches the port
watches the cockpit. The page asks nothing of any other host (no web fonts). At most
``--max-sessions`` tabs (4) run at once, each terminal at most 400x150 (cockpit/serve/bounded_server.py).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError, UsageError
from cockpit.serve import DEFAULT_MAX_SESSIONS

TEMPLATES = Path(__file__).parent / "templates"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server to this machine (names resolve first)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


@dataclass(frozen=True)
class ServeOptions:
    """What ``cockpit serve`` was asked for."""

    host: str
    port: int
    allow_remote: bool
    public_url: str | None
    config_path: str | None
    target: str | None
    refresh_s: float | None
    max_sessions: int = DEFAULT_MAX_SESSIONS

    def check_bind(self) -> str | None:
        """Refuse a non-loopback bind without ``--allow-remote``; with it, the warning to print."""
        if is_loopback(self.host):
            return None
        if not self.allow_remote:
            raise UsageError(
                f"--host {self.host} is not a loopback address: anyone who can reach it watches the "
                "cockpit, with no login; add --allow-remote to bind it anyway"
            )
        return (
            f"cockpit: WARNING: serving on {self.host}:{self.port}, beyond this machine: textual-serve "
            "has no login, so anyone who reaches this port watches the cockpit (read-only). "
            "Prefer loopback and an SSH tunnel (ssh -L)."
        )

    def app_command(self) -> str:
        """The shell command textual-serve runs per browser tab: always an observer."""
        argv = [sys.executable, "-m", "cockpit", "--read-only"]
        if self.config_path:
            argv += ["--config", str(Path(self.config_path).resolve())]
        if self.target:
            argv += ["--target", self.target]
        if self.refresh_s is not None:
            argv += ["--refresh", str(self.refresh_s)]
        return shlex.join(argv)

    def url(self) -> str:
        """Where browsers reach it: ``--public-url``, else the bind address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def serve(options: ServeOptions, title: str) -> int:
    """Serve until SIGINT/SIGTERM (the caller checks the bind first: ServeOptions.check_bind); a
    port in use is one line."""
    from cockpit.serve.bounded_server import BoundedServer

    server = BoundedServer(
        options.app_command(),
        max_sessions=options.max_sessions,
        host=options.host,
        port=options.port,
        title=title,
        public_url=options.url(),
        templates_path=TEMPLATES,
    )
    try:
        server.serve()
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise CockpitError(
            f"cannot listen on {options.host}:{options.port} ({reason}): pick another with --port"
        ) from None
    return 0
