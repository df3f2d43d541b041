"""Real local HTTP(S) servers for the health probes: every behaviour and certificate problem.

Paths: /ok (runbook JSON), /auth (needs the bearer token), /slow (1.2 s), /delay/MS (MS milliseconds), /fail (503), /garbage (not JSON), /endless (a body
that never ends), /hang (accepts, never answers), /bad-json (database disconnected), /deep (200 KB of `[`: nesting
that makes json.loads raise RecursionError).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cockpit.sandbox.certs import CertificateAuthority

EXPECTED_TOKEN = "health-t0ken-value-7731"
OK_BODY = {"status": "ok", "database": "connected", "timestamp": "2026-11-23T12:00:00Z"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stop = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._json(200, OK_BODY)
        elif self.path == "/slow":
            time.sleep(1.2)
            self._json(200, OK_BODY)
        elif self.path.startswith("/delay/"):  # /delay/50: answers OK after 50 ms, a known latency
            time.sleep(int(self.path.removeprefix("/delay/")) / 1000)
            self._json(200, OK_BODY)
        elif self.path == "/fail":
            self._json(503, {"status": "error", "database": "disconnected"})
        elif self.path == "/bad-json":
            self._json(200, {"status": "ok", "database": "disconnected"})
        elif self.path == "/deep":
            self._raw(200, b"[" * 200_000, "application/json")
        elif self.path == "/garbage":
            self._raw(200, b"<html>oops</html>", "text/html")
        elif self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                while not self.stop.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                return
        elif self.path == "/auth":
            if self.headers.get("Authorization") == f"Bearer {EXPECTED_TOKEN}":
                self._json(200, OK_BODY)
            else:
                self._json(401, {"error": "bad token"})
        elif self.path == "/hang":
            self.stop.wait(30)
        else:
            self._json(404, {"error": "no such path"})

    def _json(self, code: int, body: dict[str, Any]) -> None:
        self._raw(code, json.dumps(body).encode(), "application/json")

    def _raw(self, code: int, data: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serve(context: ssl.SSLContext | None = None) -> Iterator[int]:
    """A server on 127.0.0.1; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        Handler.stop.set()
        server.shutdown()
        server.server_close()
        Handler.stop.clear()


def tls_context(
    authority: CertificateAuthority,
    stem: str,
    hosts: list[str],
    *,
    expires_in: timedelta,
    self_signed: bool = False,
) -> ssl.SSLContext:
    issued = authority.issue(stem, hosts, expires_in=expires_in, self_signed=self_signed)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert_path, issued.key_path)
    return context


def make_authority(folder: Path) -> CertificateAuthority:
    return CertificateAuthority(folder)
