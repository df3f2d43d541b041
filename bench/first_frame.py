"""Time to first frame: ops-cockpit against pg_activity, on the same sandbox database.

    python bench/first_frame.py [--runs 7]

Starts a sandbox, then alternates the programs in an 80x24 pseudo-terminal, timing each from
exec until its first full frame is on the terminal (ops-cockpit: the Health pane's table header;
pg_activity: its process table header; a bare Textual app, bench/textual_floor.py: its table
header, the floor any Textual app pays here; the same with the cockpit's first screen's widgets
and none of its code, `textual_floor.py --screen`: what Textual charges for that screen). Prints
medians and the ratios. Budget: no slower than pg_activity's first frame.

The cockpit's modules are byte-compiled first, as a pip install does: an editable install never
compiles them, and with PYTHONDONTWRITEBYTECODE set (as on the test machines) every start compiled
them all from source again (about 50 ms more).
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_run import time_to_marker

from cockpit.sandbox.manager import Sandbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    for package in ("cockpit", "screens", "widgets"):
        compileall.compile_dir(root / package, quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-"))
    sandbox = Sandbox(folder)
    config = sandbox.up(store_keys_in_keyring=False)
    bin_dir = Path(sys.executable).parent
    floor = Path(__file__).with_name("textual_floor.py")
    programs = {
        "ops-cockpit": ([str(bin_dir / "cockpit"), "--config", str(config)], b"SEVERITY"),
        "bare Textual": ([sys.executable, str(floor)], b"SEVERITY"),
        "Textual screen": ([sys.executable, str(floor), "--screen"], b"SEVERITY"),
    }
    pg_activity = shutil.which("pg_activity", path=str(bin_dir)) or shutil.which("pg_activity")
    if pg_activity:
        programs["pg_activity"] = (
            [pg_activity, "-h", "127.0.0.1", "-p", str(sandbox.postgres.port), "-U", "postgres", "-d", "app"],
            b"PID",
        )
    else:
        print("pg_activity not installed (pip install pg-activity): ops-cockpit alone")
    # pg_activity 3.6's terminal library (blessed) probes the terminal with XTGETTCAP and waits
    # ~10 s for answers a bare pty never gives; TERM_PROGRAM=Apple_Terminal makes blessed skip
    # the probe, so the figure is pg_activity's own work, as in a real terminal that answers.
    env = {"COCKPIT_STATE_DIR": str(folder / "state"), "TERM_PROGRAM": "Apple_Terminal"}
    times: dict[str, list[float]] = {name: [] for name in programs}
    sizes: dict[str, list[int]] = {name: [] for name in programs}
    try:
        for _ in range(args.runs):
            for name, (argv, marker) in programs.items():
                seconds, written = time_to_marker(argv, marker, env=env)
                times[name].append(seconds)
                sizes[name].append(written)
    finally:
        sandbox.down()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"first frame at 80x24, {args.runs} runs each, alternating")
    for name in programs:
        print(
            f"  {name:14s} median {statistics.median(times[name]) * 1000:7.0f} ms   "
            f"min {min(times[name]) * 1000:6.0f} ms   bytes {statistics.median(sizes[name]):.0f}"
        )
    for ours, peer in (
        ("ops-cockpit", "pg_activity"),
        ("ops-cockpit", "bare Textual"),
        ("ops-cockpit", "Textual screen"),
        ("Textual screen", "pg_activity"),
    ):
        if peer in times:
            ratio = statistics.median(times[ours]) / statistics.median(times[peer])
            print(f"  ratio {ours} / {peer}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
