"""Who is acting, for the audit trail: OS user, the sudo user behind it, the SSH client, host;
and whether an actor's process (an audit row's, a temporary file's writer) still runs."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user: str
    sudo_user: str | None
    ssh_client: str | None
    host: str

    @classmethod
    def current(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = f"uid:{os.getuid()}"
        ssh = os.environ.get("SSH_CONNECTION", "").split()
        return cls(
            user=user,
            sudo_user=os.environ.get("SUDO_USER") or None,
            ssh_client=f"{ssh[0]}:{ssh[1]}" if len(ssh) >= 2 else None,
            host=socket.gethostname(),
        )

    def describe(self) -> str:
        via = f" (sudo from {self.sudo_user})" if self.sudo_user else ""
        where = f" via ssh from {self.ssh_client}" if self.ssh_client else ""
        return f"{self.user}{via}@{self.host}{where}"


def process_running(pid: int) -> bool:
    """Whether a process of that pid runs on this host (another user's counts; a zombie, not
    yet reaped, does too). A pid is recycled, so True means "cannot tell it is gone"."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
