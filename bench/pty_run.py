"""Run a terminal program in a pseudo-terminal and time how long it takes to draw a marker; read
a process's CPU time and RSS from /proc."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import sys
import termios
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
        self.size = size
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

    def drain_until_quiet(self, quiet: float = 0.1, limit: float = 2.0) -> int:
        """Read until nothing arrives for ``quiet`` seconds (at most ``limit``); the byte count.
        After a marker, the rest of the frame it belongs to."""
        deadline = time.perf_counter() + limit
        count = 0
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                break
            count += len(os.read(self.fd, 65536))
        self.written += count
        return count

    def full_redraw(self, timeout: float = 5.0) -> int:
        """Bytes of one whole-screen redraw at the session's size: the terminal is made one column
        wider, then given its size back (a resize repaints the whole screen: Textual at once,
        pg_activity at its next refresh, which repaints everything anyway); the bytes written
        after the second resize until the output goes quiet."""
        columns, rows = self.size
        for width in (columns + 1, columns):
            self.drain_until_quiet()
            fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, width, 0, 0))
            os.kill(self.pid, signal.SIGWINCH)
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                raise RuntimeError(f"nothing redrawn within {timeout}s of a resize to {width}x{rows}")
        return self.drain_until_quiet()

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


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (index 1 is the parent's pid)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid`` (children, their children...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU so far of a process (threads included) and of its children: the live
    ones and those reaped (cutime, cstime), so a child that exits mid-window still counts once."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            fields = _stat(each)
        except OSError:
            continue  # exited since it was listed: its time is in its parent's cutime
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """The resident set of one process (VmRSS), children not included; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def find_pg_activity() -> str | None:
    """pg_activity from this virtual environment, else from PATH; None if not installed."""
    return shutil.which("pg_activity", path=str(Path(sys.executable).parent)) or shutil.which("pg_activity")


def pg_activity_on(
    pg_activity: str, port: int, *, user: str, dbname: str, args: tuple[str, ...] = ()
) -> PtySession:
    """pg_activity in an 80x24 pty on the local server at ``port`` (TERM_PROGRAM: see
    bench/README.md)."""
    return PtySession(
        [pg_activity, "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname, *args],
        env={"TERM_PROGRAM": "Apple_Terminal"},
    )


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
