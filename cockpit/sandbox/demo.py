"""`cockpit demo`: a sandbox for as long as one cockpit runs on it, then stopped and removed.

The sandbox's S3 keys stay in the demo's own environment (never the keyring), and its state
store lives in its folder. However the cockpit ends (``q``, ctrl+c, a hang-up, a kill), the
servers are stopped; the folder is removed only once they are, since a PostgreSQL left running
is stopped from it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STOPPING_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


def run_demo(open_cockpit: Callable[[Path], int]) -> int:
    """Start a sandbox in a fresh folder, return ``open_cockpit(its config file)``, stop it."""
    from cockpit.sandbox.manager import Sandbox

    folder = Path(tempfile.mkdtemp(prefix="cockpit-demo-"))
    sandbox = Sandbox(folder)

    # A dropped SSH session (SIGHUP) or a kill (SIGTERM) still stops the sandbox.
    previous = {s: signal.signal(s, _stop_on_signal) for s in (signal.SIGHUP, signal.SIGTERM)}
    previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)
    try:
        print("cockpit: starting the sandbox (PostgreSQL, S3, HTTPS endpoints)...", file=sys.stderr)
        config_path = sandbox.up(store_keys_in_keyring=False, owner_pid=os.getpid())
        os.environ.update(sandbox.s3_environment())
        os.environ.setdefault("COCKPIT_STATE_DIR", str(folder / "state"))
        return open_cockpit(config_path)
    finally:
        _quiet_signals()  # `q`, then the terminal closed while the cleanup runs
        # Stopping takes seconds: said, so a quit that seems to hang is seen to be working.
        _say("cockpit: stopping the sandbox (PostgreSQL, S3, HTTPS endpoints)...")
        stop_started = time.monotonic()
        try:
            sandbox.down()
        except BaseException:
            # Keep the folder: its PostgreSQL is stopped from it (the sandbox's own dead man's
            # switch does, or `cockpit sandbox down DIR`); removed, nothing could stop it.
            _say(f"cockpit: the sandbox in {folder} did not stop cleanly")
            raise
        else:
            shutil.rmtree(folder, ignore_errors=True)
            _say(f"cockpit: sandbox stopped in {time.monotonic() - stop_started:.1f}s")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _quiet_signals() -> None:
    """Nothing may cut the cleanup short. SIGCONT first: Textual leaves its handler behind,
    a hang-up brings a SIGCONT, and that handler (resuming a TUI that is gone) would raise in the
    middle of stopping the servers, or as the next handler is set, before they are stopped."""
    signal.signal(signal.SIGCONT, signal.SIG_DFL)
    for sig in STOPPING_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def _stop_on_signal(signum: int, _frame: object) -> None:
    # The first signal wins; the ones after it (a hang-up comes twice: tmux, then the kernel
    # as the terminal goes) are ignored at once, before they can cut the cleanup short.
    _quiet_signals()
    raise SystemExit(128 + signum)


def _say(line: str) -> None:
    """A line on stderr that never fails: the terminal may be gone (a hang-up during the demo's
    cleanup), and an error from print must not skip stopping the servers."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)
