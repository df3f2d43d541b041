"""mypy (strict, as for the core) on tests/, against tests/mypy-baseline.txt: an error the
baseline does not hold fails, and so does a baseline line whose error is gone, so the baseline
only shrinks. ``python tests/unit/test_mypy_baseline.py`` removes the lines of errors fixed (it
never adds one).

Lines are ``path: message  [code]`` without line numbers, so editing a test file does not move
its baseline; an error that occurs twice in a file is listed twice."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<path>tests/[^:]+):\d+: error: (?P<message>.*)$")


def mypy_errors() -> Counter[str]:
    """mypy's errors in tests/, as baseline lines (its cache in .mypy_cache, shared with `mypy`)."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty", "--hide-error-context",
         "--show-error-codes", "--no-color-output", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    if run.returncode not in (0, 1):  # 2: mypy itself failed (a crash, a bad config)
        raise AssertionError(f"mypy failed: {run.stderr or run.stdout}")
    found = (_ERROR.match(line) for line in run.stdout.splitlines())
    return Counter(f"{m['path']}: {m['message']}" for m in found if m)


def baseline() -> Counter[str]:
    return Counter(line for line in BASELINE.read_text().splitlines() if line.strip())


def test_mypy_on_tests_finds_no_error_the_baseline_does_not_hold() -> None:
    found, allowed = mypy_errors(), baseline()
    new = sorted((found - allowed).elements())
    assert not new, "mypy errors in tests/ not in tests/mypy-baseline.txt (fix them):\n" + "\n".join(new)
    fixed = sorted((allowed - found).elements())
    assert not fixed, (
        "fixed, so out of tests/mypy-baseline.txt (`python tests/unit/test_mypy_baseline.py`):\n"
        + "\n".join(fixed)
    )


if __name__ == "__main__":
    kept = baseline() & mypy_errors()
    BASELINE.write_text("".join(f"{line}\n" for line in sorted(kept.elements())))
    print(f"{BASELINE.relative_to(ROOT)}: {sum(kept.values())} errors")
