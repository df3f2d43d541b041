"""200 health endpoints, 10 of them hanging: one round should take about one timeout.

    python bench/health_endpoints.py [--endpoints 200] [--hanging 10] [--timeout 2] [--rounds 5]

Serves the endpoints from one local threaded server, probes them all with the health pane's
HttpProber (shared keep-alive client, bounded concurrency, per-request deadline) and prints the
median round time beside the two baselines: one timeout (the goal) and the sum of the timeouts
(what a sequential loop of curl calls, as in the runbooks, would take).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cockpit.config import HealthEndpoint
from cockpit.probes.http import HttpProber

STOP = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/hang"):
            STOP.wait(60)
            return
        body = json.dumps({"status": "ok", "database": "connected"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up on purpose (timeouts) are not errors worth printing."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


async def one_round(prober: HttpProber, endpoints: list[HealthEndpoint]) -> tuple[float, int]:
    started = time.perf_counter()
    samples = await asyncio.gather(*(prober.probe(e) for e in endpoints))
    return time.perf_counter() - started, sum(1 for s in samples if not s.ok)


async def run(args: argparse.Namespace, port: int) -> list[tuple[float, int]]:
    endpoints = [
        HealthEndpoint(
            name=f"e{i}",
            url=f"http://127.0.0.1:{port}/{'hang' if i < args.hanging else 'ok'}/{i}",
            timeout_s=args.timeout,
            expect_json={"status": "ok"},
        )
        for i in range(args.endpoints)
    ]
    prober = HttpProber()
    try:
        return [await one_round(prober, endpoints) for _ in range(args.rounds)]
    finally:
        await prober.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rounds = asyncio.run(run(args, int(server.server_address[1])))
    finally:
        STOP.set()
        server.shutdown()
    times = [t for t, _ in rounds]
    failures = {f for _, f in rounds}
    print(
        f"{args.endpoints} endpoints, {args.hanging} hanging, timeout {args.timeout:g}s, {args.rounds} rounds"
    )
    print(
        f"  ops-cockpit round   median {statistics.median(times):6.2f} s   "
        f"max {max(times):6.2f} s   failures per round {sorted(failures)}"
    )
    print(
        f"  one timeout (goal)         {args.timeout:6.2f} s   "
        f"ratio {statistics.median(times) / args.timeout:.2f}"
    )
    print(f"  sum of timeouts (serial)   {args.hanging * args.timeout:6.2f} s+")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
