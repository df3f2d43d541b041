"""textual-serve's server with bounds: at most ``max_sessions`` tabs, terminals of a sane size.

Each browser tab is a cockpit process of its own with its own database session, and a tab's
memory and CPU grow with the terminal size it asks for: unbounded, browsers alone would decide how
much of the host and how many of the target's connections the observers take. So a tab beyond
the limit is told so in its page (written to its terminal, which no process is started for); and
every size a tab asks for, at the start (the websocket's ``width``/``height``) and on each resize,
is clamped to ``MAX_SIZE``.

The websocket handler is textual-serve's own (``Server.handle_websocket``: start an
``AppService``, relay the browser's messages), written again with the two bounds, since the
library offers no hook for either. Imported only by ``cockpit serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

MIN_SIZE = (10, 5)  # columns, rows: below this nothing of the cockpit shows anyway
MAX_SIZE = (400, 150)  # a 4K screen at a small font; a tab's memory grows with its cells
log = logging.getLogger("cockpit.serve.server")


def clamp_size(width: Any, height: Any) -> tuple[int, int]:
    """A terminal size a tab asked for, within MIN_SIZE..MAX_SIZE (anything not a number: 80x24)."""

    def number(value: Any, default: int) -> int:
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            return default

    columns = min(max(number(width, 80), MIN_SIZE[0]), MAX_SIZE[0])
    rows = min(max(number(height, 24), MIN_SIZE[1]), MAX_SIZE[1])
    return columns, rows


def limit_reached_text(max_sessions: int) -> str:
    """What a tab beyond the limit shows in its page, in place of the cockpit."""
    n = max_sessions
    in_use = f"all {n} sessions are in use" if n > 1 else "its only session is in use"
    return (
        f"\x1b[2J\x1b[H\x1b[1mcockpit serve: {in_use}\x1b[0m\r\n\r\n"
        "Each tab runs a cockpit of its own, with its own database session, and this server\r\n"
        f"allows {n} at once (--max-sessions {n}). Close another tab and reload this one.\r\n"
    )


class BoundedServer(Server):
    """textual-serve's Server, with at most ``max_sessions`` tabs and clamped terminal sizes."""

    def __init__(self, command: str, *, max_sessions: int, **options: Any) -> None:
        super().__init__(command, **options)
        self.max_sessions = max_sessions
        self.sessions = 0  # tabs with a cockpit process; one event loop, so no lock

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        if self.sessions >= self.max_sessions:
            log.warning("a tab was refused: all %d sessions are in use", self.max_sessions)
            await self._refuse(websocket, request)
            return websocket
        self.sessions += 1  # before the first await: two tabs at once cannot both pass
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            app_service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=lambda: _close(websocket),
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(*clamp_size(request.query.get("width"), request.query.get("height")))
            await self._relay(websocket, app_service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            self.sessions -= 1
            if app_service is not None:
                await app_service.stop()
        return websocket

    async def _refuse(self, websocket: web.WebSocketResponse, request: web.Request) -> None:
        """The limit said in the tab's terminal, which stays open (no process behind it) until
        the tab closes: a closed websocket makes the page cover it with 'Session ended'."""
        await websocket.prepare(request)
        await websocket.send_bytes(limit_reached_text(self.max_sessions).encode())
        async for message in websocket:
            if message.type == WSMsgType.TEXT and message.data.startswith('["ping"'):
                with contextlib.suppress(ValueError, TypeError):
                    await websocket.send_json(["pong", message.json()[1]])

    @staticmethod
    async def _relay(websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """The browser's messages to the app, as textual-serve relays them; sizes clamped."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = message.json()
            except (ValueError, TypeError):
                continue  # not an envelope: ignored (textual-serve's own handler asserts, ending the tab)
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(*clamp_size(data.get("width"), data.get("height")))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()


async def _close(websocket: web.WebSocketResponse) -> None:
    """What AppService calls when its app exits: the tab's websocket closed."""
    await websocket.close()
