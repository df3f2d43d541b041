"""The import direction: the core imports no Textual; widgets never import screens or sources."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import cockpit

ROOT = Path(__file__).resolve().parents[2]


def test_core_modules_do_not_import_textual() -> None:
    modules = [
        m.name
        for m in pkgutil.walk_packages(cockpit.__path__, "cockpit.")
        if m.name not in ("cockpit.app", "cockpit.__main__")
    ]
    assert "cockpit.config" in modules and "cockpit.guard" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'screens', 'widgets'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def test_cli_start_imports_nothing_heavy() -> None:
    """`cockpit --help` and the CLI module stay light: psycopg, boto3, textual load lazily."""
    code = (
        "import sys, cockpit.cli\n"
        "print(','.join(sorted(m for m in ('textual','psycopg','boto3','httpx','keyring')"
        " if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout
