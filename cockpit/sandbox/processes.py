"""Small process and port helpers the sandbox pieces share."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Collection
from pathlib import Path

from cockpit.actor import process_running


def free_port(host: str = "127.0.0.1", *, also_free: int | None = None, avoid: Collection[int] = ()) -> int:
    """A TCP port nobody listens on and not in ``avoid`` (ports already promised to a service
    that binds them later); with ``also_free``, port+offset must be free and not avoided too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port in avoid or (also_free is not None and port + also_free in avoid):
            continue
        if also_free is None:
            return port
        if port + also_free < 65536 and port_is_free(port + also_free, host):
            return port
    raise RuntimeError("no free TCP port pair found on 127.0.0.1")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, *, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_listening(port):
            return
        time.sleep(0.05)
    tail = ""
    if log is not None and log.exists():
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s {tail}")


def pid_alive(pid: int) -> bool:
    """process_running, except that a zombie child of ours (exited, not yet reaped) counts as
    gone: the sandbox waits on its own servers' exits."""
    if not process_running(pid):
        return False
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the process group (or the pid), then SIGKILL what is left after ``timeout``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)
