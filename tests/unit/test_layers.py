"""The import direction: the core imports no Textual; widgets never import screens or sources."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import cockpit

ROOT = Path(__file__).resolve().parents[2]


def loaded_after(setup: str, watched: tuple[str, ...]) -> list[str]:
    """Which of the ``watched`` top-level packages a fresh interpreter holds after ``setup``."""
    code = f"import sys\n{setup}\nprint(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(watched)!r})))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_core_modules_do_not_import_textual() -> None:
    modules = [
        m.name for m in pkgutil.walk_packages(cockpit.__path__, "cockpit.") if m.name != "cockpit.__main__"
    ]
    assert "cockpit.config" in modules and "cockpit.guard" in modules
    setup = f"import importlib\nfor name in {modules!r}: importlib.import_module(name)"
    assert loaded_after(setup, ("textual", "screens", "widgets")) == []
    assert loaded_after("import screens.app", ("textual",)) == ["textual"]  # the check can fail


def test_cli_start_imports_nothing_heavy() -> None:
    """`cockpit --help` and the CLI module stay light: psycopg, boto3, textual load lazily."""
    heavy = ("textual", "psycopg", "boto3", "httpx", "keyring")
    assert loaded_after("import cockpit.cli", heavy) == []


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_http_probe_leaves_httpx_command_line_tool_out() -> None:
    """httpx imports its CLI (click, pygments, rich.syntax: about 3 MB resident) whenever click
    is installed, as it is in the test environment; the probe keeps it out of the TUI."""
    setup = (
        "from cockpit.probes.http import HttpProber, classify\n"
        "classify(TimeoutError(), 1.0)\n"
        "import httpx\nassert httpx.AsyncClient"
    )
    assert loaded_after(setup, ("httpx", "click", "pygments")) == ["httpx"]
    assert loaded_after("import httpx", ("click",)) == ["click"]  # the check can fail


def probe_modules_after(setup: str) -> set[str]:
    code = f"import sys\n{setup}\nprint(','.join(m for m in sys.modules if m.startswith(('cockpit.probes.', 'cockpit.backups.'))))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(filter(None, result.stdout.strip().split(",")))


def test_the_app_imports_no_pane_s_probes_before_its_pane_is_built() -> None:
    """Each pane imports its own probes when it is built: the first frame (Health only) paid about
    20 ms for the S3, bloat, queries and secrets probes while the package imported them all."""
    others = {
        "cockpit.backups.inventory",
        "cockpit.probes.bloat",
        "cockpit.probes.secrets",
        "cockpit.probes.queries",
    }
    assert probe_modules_after("import screens.app") & others == set()
    assert probe_modules_after("import cockpit.pane_probes") >= others  # the check can fail


def holds_module_after(setup: str, module: str) -> bool:
    code = f"import sys\n{setup}\nprint({module!r} in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.strip() == "True"


def test_the_checklist_journal_is_imported_when_first_used() -> None:
    """The journal (and its json, uuid) is opened on first use, by the Checklists pane or a run to
    reopen, after the first frame: imported with screens.app it cost the first frame about 10 ms."""
    assert not holds_module_after("import screens.app", "cockpit.checklists.journal")
    assert holds_module_after(
        "import screens.checklists_pane", "cockpit.checklists.journal"
    )  # the check can fail
