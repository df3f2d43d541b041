"""The Secrets pane's certificate probe at scale: 500 endpoints, some of which never answer.

    python bench/cert_endpoints.py [--endpoints 500] [--hanging 10] [--timeout 2] [--rounds 5]

A local TLS server (its own event loop in a thread, a certificate from a throwaway CA) stands
for ``--endpoints - --hanging`` endpoints; ``--hanging`` more point at a socket that accepts
and never answers the handshake. Each round probes all of them as the pane does (verified
handshake, at most 256 at a time, one ``--timeout`` each) and prints the wall time beside the
goal (about one timeout) and the serial worst case (a handshake each, plus a timeout for each
hanging endpoint). Budget (the issue): about one handshake timeout, not the sum.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.config import Certificate
from cockpit.probes.certificates import read_certificates
from cockpit.sandbox.certs import CertificateAuthority


def tls_server(context: ssl.SSLContext) -> int:
    """A TLS server that completes handshakes and closes; its port."""
    ready = threading.Event()
    port: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context, backlog=2048)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        await server.serve_forever()

    threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
    ready.wait(10)
    return port[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-certs-"))
    authority = CertificateAuthority(folder)
    issued = authority.issue("endpoint", ["localhost", "127.0.0.1"], expires_in=timedelta(days=60))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert_path, issued.key_path)
    good_port = tls_server(context)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4096)
    good = args.endpoints - args.hanging
    entries = [
        Certificate(name=f"ok{i}", host="localhost", port=good_port, ca_bundle=str(authority.cert_path))
        for i in range(good)
    ] + [
        Certificate(name=f"hang{i}", host="127.0.0.1", port=silent.getsockname()[1])
        for i in range(args.hanging)
    ]

    rounds: list[float] = []
    verified = timed_out = 0
    for _ in range(args.rounds):
        started = time.perf_counter()
        readings = asyncio.run(read_certificates(entries, timeout_s=args.timeout))
        rounds.append(time.perf_counter() - started)
        verified = sum(1 for r in readings if r.verified and not r.error)
        timed_out = sum(1 for r in readings if r.error.startswith("no TLS handshake"))
    silent.close()

    one = asyncio.run(read_certificates(entries[:1], timeout_s=args.timeout))
    del one
    started = time.perf_counter()
    asyncio.run(read_certificates(entries[:1], timeout_s=args.timeout))
    handshake = time.perf_counter() - started
    serial = good * handshake + args.hanging * args.timeout
    median = statistics.median(rounds)
    print(
        f"{args.endpoints} certificate endpoints, {args.hanging} hanging, timeout {args.timeout:g}s, "
        f"{args.rounds} rounds"
    )
    print(f"  ops-cockpit round   median {median:6.2f} s   max {max(rounds):6.2f} s   "
          f"verified {verified}, timed out {timed_out}")  # fmt: skip
    print(f"  one timeout (goal)         {args.timeout:6.2f} s   ratio {median / args.timeout:.2f}")
    print(f"  serial worst case          {serial:6.2f} s   (one handshake {handshake * 1000:.1f} ms each, "
          f"plus a timeout per hanging endpoint)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
