"""Run a terminal program in a pseudo-terminal and time how long it takes to draw a marker."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path


def time_to_marker(
    argv: list[str],
    marker: bytes,
    *,
    env: dict[str, str] | None = None,
    size: tuple[int, int] = (80, 24),
    timeout: float = 30.0,
) -> tuple[float, int]:
    """Seconds from exec until ``marker`` is written, and the bytes written by then."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, {**os.environ, **(env or {}), "TERM": "xterm-256color"})
    columns, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                return time.perf_counter() - started, len(seen)
        raise RuntimeError(f"{argv[0]}: {marker!r} not drawn within {timeout}s; got {seen[-400:]!r}")
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


class PtySession:
    """A program kept running in a pty: send keys, wait for text, measure the response."""

    def __init__(
        self, argv: list[str], *, env: dict[str, str] | None = None, size: tuple[int, int] = (80, 24)
    ) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.execvpe(argv[0], argv, {**os.environ, **(env or {}), "TERM": "xterm-256color"})
        columns, rows = size
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.written = 0

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> float:
        """Seconds until ``marker`` appears in what is written from now on."""
        started = time.perf_counter()
        seen = b""
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([self.fd], [], [], 0.01)
            if ready:
                chunk = os.read(self.fd, 65536)
                self.written += len(chunk)
                seen += chunk
                if marker in seen:
                    return time.perf_counter() - started
        text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b" ", seen[-3000:]).decode(errors="replace")
        raise RuntimeError(
            f"{marker!r} not seen within {timeout}s; the last text written: {' '.join(text.split())}"
        )

    def drain(self, seconds: float) -> int:
        """Read whatever arrives for ``seconds``; the byte count."""
        deadline = time.perf_counter() + seconds
        count = 0
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.01)
            if ready:
                count += len(os.read(self.fd, 65536))
        self.written += count
        return count

    def press(self, keys: bytes, marker: bytes, timeout: float = 10.0) -> float:
        """Send ``keys``; seconds until ``marker`` is written in response."""
        os.write(self.fd, keys)
        return self.wait_for(marker, timeout)

    def press_until_output(self, keys: bytes, timeout: float = 10.0) -> float:
        """Send ``keys``; seconds until anything is written (for keys with no textual marker,
        such as a cursor move: a refresh landing first counts, as a delayed key would)."""
        self.drain(0.0)
        started = time.perf_counter()
        os.write(self.fd, keys)
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            raise RuntimeError(f"no output within {timeout}s after {keys!r}")
        elapsed = time.perf_counter() - started
        self.written += len(os.read(self.fd, 65536))
        return elapsed

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            time.sleep(0.02)
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def cockpit_on(folder: Path, dsn: str, *, settings: str = "") -> PtySession:
    """The real ``cockpit`` in an 80x24 pty on one database (target ``bench``), its state in
    ``folder``. ``TERM_PROGRAM`` as for pg_activity (see bench/README.md)."""
    config = folder / "cockpit.toml"
    config.write_text(
        f"[settings]\nrefresh_interval_s = 2.0\n{settings}\n[targets.bench]\n\n"
        f'[[targets.bench.databases]]\nname = "bench"\ndsn = "{dsn}"\n'
    )
    return PtySession(
        [str(Path(sys.executable).parent / "cockpit"), "--config", str(config)],
        env={"COCKPIT_STATE_DIR": str(folder / "state"), "TERM_PROGRAM": "Apple_Terminal"},
    )
