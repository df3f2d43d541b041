"""The sandbox's long-lived helpers, run as one background process.

* HTTPS health endpoints in the runbooks' shapes (``/api/health``, ``/api/monitoring/health``
  returning status, database and timestamp): one healthy, one slow, one failing, each behind its
  own certificate with a chosen expiry.
* A workload on the sandbox database that keeps real signals alive: an idle-in-transaction
  session and a recurring slow statement.

``python -m cockpit.sandbox.services SPEC.json`` runs until SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import signal
import ssl
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cockpit.sandbox.processes import pid_alive, stop_pid

ENDPOINTS = {
    # name: (delay seconds, HTTP status, database state)
    "healthy": (0.0, 200, "connected"),
    "slow": (1.2, 200, "connected"),
    "failing": (0.0, 503, "disconnected"),
}


def _handler(name: str) -> type[BaseHTTPRequestHandler]:
    delay, status, database = ENDPOINTS[name]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real health endpoints behind a proxy

        def do_GET(self) -> None:
            if self.path not in ("/api/health", "/api/monitoring/health"):
                self._send(404, {"error": "not found"})
                return
            time.sleep(delay)
            body: dict[str, Any] = {
                "status": "ok" if status == 200 else "error",
                "timestamp": datetime.now(UTC).isoformat(),
            }
            if self.path == "/api/monitoring/health":
                body.update(
                    database=database,
                    supabase=database,
                    pool={"size": 10, "checked_out": 2 if status == 200 else 10},
                )
            self._send(status, body)

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return Handler


def serve_https(name: str, port: int, cert: str, key: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(name))
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name=f"https-{name}", daemon=True).start()
    return server


def run_workload(dsn: str, stop: threading.Event) -> None:
    """Hold an idle-in-transaction session that blocks another; run a slow statement often.

    The idle session keeps a row lock on feature_flags, so the second session's UPDATE waits on
    it: a real blocker/blocked pair for the lock tree.
    """
    import psycopg

    while not stop.is_set():
        try:
            with (
                psycopg.connect(dsn, application_name="sandbox-app-idle") as idle,
                psycopg.connect(dsn, application_name="sandbox-app-blocked", autocommit=True) as waiter,
                psycopg.connect(dsn, application_name="sandbox-app", autocommit=True) as busy,
            ):
                # Opens a transaction holding a row lock, then stays idle in it.
                idle.execute("UPDATE feature_flags SET updated_at = now() WHERE name = 'new_dashboard'")
                blocked = threading.Thread(target=_wait_on_lock, args=(waiter,), daemon=True)
                blocked.start()
                while not stop.wait(5):
                    busy.execute("SELECT pg_sleep(0.6), count(*) FROM sessions")
                    busy.execute("SELECT * FROM profiles WHERE email LIKE %s", ("%user42%",))
                    alive = busy.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (idle.info.backend_pid,)
                    ).fetchone()
                    if not alive or not alive[0]:  # a test terminated it: start over
                        break
        except psycopg.Error:
            stop.wait(2)  # the database restarts, or a test terminated a session: start over


def _wait_on_lock(conn: object) -> None:
    import psycopg

    assert isinstance(conn, psycopg.Connection)
    with contextlib.suppress(psycopg.Error):
        conn.execute("UPDATE feature_flags SET enabled = enabled WHERE name = 'new_dashboard'")


def stop_orphaned_sandbox(spec: dict[str, Any]) -> None:
    from cockpit.sandbox.postgres import SandboxPostgres

    weed = spec.get("weed_pid")
    if weed is not None and pid_alive(int(weed)):
        stop_pid(int(weed))
    with contextlib.suppress(Exception):
        SandboxPostgres(Path(spec["postgres_folder"])).stop()


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    servers = [
        serve_https(name, endpoint["port"], endpoint["cert"], endpoint["key"])
        for name, endpoint in spec["endpoints"].items()
    ]
    workload = threading.Thread(target=run_workload, args=(spec["dsn"], stop), daemon=True)
    workload.start()
    owner = spec.get("owner_pid")
    while not stop.wait(1.0):
        if owner is not None and not pid_alive(int(owner)):
            # Dead man's switch: whoever started this sandbox (`cockpit demo`, a test session) is
            # gone without stopping it (killed, or a hang-up it could not handle): stop it here.
            stop_orphaned_sandbox(spec)
            break
    for server in servers:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
