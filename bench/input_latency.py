"""Input latency of the TUI while the Health pane probes 200 endpoints, 10 of them hanging.

    python bench/input_latency.py [--presses 40]

Runs the real `cockpit` in an 80x24 pty on a config with 200 local endpoints (10 hang until
their 2 s timeout; each polled every --interval seconds, 10 by default as in the
config), then alternates keys 2 and 1 and times each until the
screen answers (the Queries pane's notice, the Health pane's table header). Also prints
terminal bytes per second while idle on the Health pane. Budget: p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from health_endpoints import STOP, Handler, QuietServer
from pty_run import PtySession


def config_text(port: int, endpoints: int, hanging: int, interval: float = 10.0) -> str:
    lines = ["[settings]\nrefresh_interval_s = 2.0\n\n[targets.bench]\n"]
    for i in range(endpoints):
        path = "hang" if i < hanging else "ok"
        lines.append(
            f'[[targets.bench.health]]\nname = "e{i:03d}"\nurl = "http://127.0.0.1:{port}/{path}/{i}"\n'
            f'timeout_s = 2.0\ninterval_s = {interval:g}\nexpect_json = {{ status = "ok" }}\n'
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--interval", type=float, default=10.0, help="each endpoint's interval_s")
    args = parser.parse_args()
    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-input-"))
    config = folder / "cockpit.toml"
    config.write_text(config_text(int(server.server_address[1]), args.endpoints, args.hanging, args.interval))
    session = PtySession(
        [str(Path(sys.executable).parent / "cockpit"), "--config", str(config)],
        env={"COCKPIT_STATE_DIR": str(folder / "state")},
    )
    latencies: list[float] = []
    try:
        session.wait_for(b"ENDPOINT", timeout=30)
        session.drain(6.0)  # let every endpoint answer or time out at least once
        idle_bytes = session.drain(10.0)
        for i in range(args.presses):
            if i % 2 == 0:
                latencies.append(session.press(b"2", b"no database to read statements from"))
            else:
                latencies.append(session.press(b"1", b"STATUS"))
            session.drain(0.2)
    finally:
        session.close()
        STOP.set()
        server.shutdown()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"input latency, {args.endpoints} endpoints ({args.hanging} hanging), "
        f"polled every {args.interval:g}s, {len(latencies)} key presses, 80x24"
    )
    print(
        f"  p50 {statistics.median(latencies) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   "
        f"max {max(latencies) * 1000:6.1f} ms   (budget p99 < 50 ms)"
    )
    print(
        f"  terminal bytes at idle on the Health pane: {idle_bytes / 10:.0f} B/s "
        f"(a full 80x24 redraw is about 8-15 kB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
