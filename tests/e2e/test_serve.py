"""`cockpit serve` opened in Debian's headless Chromium: the panes are there, read-only, and
nothing is asked of any other host.

The screen is read from xterm.js's own buffer in the page (what the browser holds), through a
reference to textual-serve's terminal caught as it is built (the page keeps it in a closure).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, clean_env

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# The flags the machine's notes give for a closed network; Playwright adds --headless.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# textual-serve's page builds its terminal object inside window.onload and keeps it there; the
# first assignment of `fitAddon` is that object's constructor, which hands us the object.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'fitAddon', {
  configurable: true,
  set(value) {
    window.__textualTerminal = this;
    Object.defineProperty(this, 'fitAddon', {value, writable: true, configurable: true, enumerable: true});
  },
});
"""

READ_SCREEN = """() => {
  const term = window.__textualTerminal && window.__textualTerminal.terminal;
  if (!term) return '';
  const buffer = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(i);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, server: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"cockpit serve exited {server.returncode}: {server.communicate()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"cockpit serve never listened on {port}")


def app_processes(config: Path) -> list[str]:
    """The cockpit processes textual-serve started for browser tabs (found by their command)."""
    out = subprocess.run(["pgrep", "-af", "--", f"-m cockpit .*{config}"], capture_output=True, text=True)
    return out.stdout.splitlines()


@pytest.fixture
def served(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Debian's chromium is required: run the README's test command")
    port = free_port()
    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"), **sandbox.s3_environment())
    server = subprocess.Popen(
        [COCKPIT, "serve", "--config", str(sandbox.config_path), "--port", str(port), "--refresh", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_listening(port, server)
        yield f"http://127.0.0.1:{port}", server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=20)


def wait_screen(page: Any, *texts: str, timeout: float = 45) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = page.evaluate(READ_SCREEN)
        if all(text in screen for text in texts):
            return str(screen)
        time.sleep(0.2)
    raise AssertionError(f"{texts!r} never all appeared; the browser's screen was:\n{screen}")


def test_a_browser_sees_the_panes_read_only(
    served: tuple[str, subprocess.Popen[str]], sandbox: Sandbox, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, server = served
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 600})
            page.on("request", lambda request: requested.append(request.url))
            page.add_init_script(CATCH_TERMINAL)
            page.goto(url)
            screen = wait_screen(page, "READ-ONLY", "1 Health", "6 Checklists", "ENDPOINT", "healthy")
            # The cockpit a browser gets is an observer's: the process says so, not only the badge.
            tabs = app_processes(sandbox.config_path)
            assert tabs and all("--read-only" in line for line in tabs), tabs

            page.locator(".xterm-helper-textarea").focus()
            page.keyboard.press("2")
            screen = wait_screen(page, "CALLS")
            # Cancelling and terminating backends are not offered to an observer.
            assert "Terminate" not in screen and "Cancel" not in screen, screen
            page.keyboard.press("6")
            wait_screen(page, "Maintenance window")
            page.screenshot(path=str(tmp_path / "serve.png"))
            page.close()
        finally:
            browser.close()

    # The page asked nothing of any other host (textual-serve's own page loads Google Fonts).
    assert requested and all(u.startswith(url) for u in requested), requested
    # Closing the tab ends its cockpit process.
    deadline = time.monotonic() + 20
    while app_processes(sandbox.config_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not app_processes(sandbox.config_path)
    server.send_signal(signal.SIGTERM)
    _out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _pids(config: Path) -> list[int]:
    """The tabs' cockpit processes themselves, not the shells textual-serve starts them with."""
    lines = [line.split(maxsplit=1) for line in app_processes(config)]
    return [int(pid) for pid, command in lines if not command.startswith(("/bin/sh", "sh "))]


def test_tabs_and_terminal_sizes_are_bounded(sandbox: Sandbox, tmp_path: Path) -> None:
    """Each websocket spawned a cockpit process with its own database session, without limit (20
    clients: 20 processes, 1.2 GB), and a 3000x3000 terminal cost 214 MB a tab. With
    --max-sessions 2 the third tab is told so in its page and no process starts for it; sizes
    asked for are clamped, at the start and on a resize."""
    import asyncio

    import aiohttp

    port = free_port()
    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"), **sandbox.s3_environment())
    server = subprocess.Popen(
        [COCKPIT, "serve", "--config", str(sandbox.config_path), "--port", str(port), "--max-sessions", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ws_url = f"ws://127.0.0.1:{port}/ws"

    async def first_bytes(ws: aiohttp.ClientWebSocketResponse) -> bytes:
        message = await asyncio.wait_for(ws.receive(), 60)
        assert message.type == aiohttp.WSMsgType.BINARY, message
        return bytes(message.data)

    async def drive() -> None:
        async with aiohttp.ClientSession() as session:
            huge = await session.ws_connect(f"{ws_url}?width=3000&height=3000")
            await first_bytes(huge)
            (pid,) = _pids(sandbox.config_path)
            assert (_environ(pid)["COLUMNS"], _environ(pid)["ROWS"]) == ("400", "150")
            second = await session.ws_connect(f"{ws_url}?width=80&height=24")
            await first_bytes(second)
            await second.send_json(["resize", {"width": 100000, "height": -5}])
            assert len(_pids(sandbox.config_path)) == 2

            third = await session.ws_connect(f"{ws_url}?width=80&height=24")
            text = (await first_bytes(third)).decode()
            assert "cockpit serve: all 2 sessions are in use" in text and "--max-sessions 2" in text
            await third.send_json(["ping", "still there?"])  # the page stays, showing that text
            assert json.loads((await asyncio.wait_for(third.receive(), 10)).data) == ["pong", "still there?"]
            assert len(_pids(sandbox.config_path)) == 2  # no process for the refused tab
            await third.close()

            await huge.close()  # a tab closed: its place is free again
            deadline = time.monotonic() + 20
            while len(_pids(sandbox.config_path)) > 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            fourth = await session.ws_connect(f"{ws_url}?width=80&height=24")
            assert "sessions are in use" not in (await first_bytes(fourth)).decode(errors="replace")
            assert len(_pids(sandbox.config_path)) == 2
            await second.close()
            await fourth.close()

    try:
        wait_listening(port, server)
        asyncio.run(drive())
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    deadline = time.monotonic() + 20
    while app_processes(sandbox.config_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not app_processes(sandbox.config_path)
