"""The cockpit installed the ordinary way, from a built wheel into a fresh virtual environment.

The rest of the suite runs the editable install, which reads every file from the checkout: a file
the wheel leaves out (the probes' SQL once was) breaks only real installs (`pipx install`, `pip
install .`), where the Health, Queries and Bloat probes then failed with FileNotFoundError and
`cockpit check` said UNKNOWN. So: build the sdist and the wheel from it as a release would, check
that both carry every file the checkout tracks, install the wheel (not editable) into a new venv
and run that install's `cockpit` against the sandbox it starts itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clean_env

pytestmark = pytest.mark.e2e

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGES = ("cockpit", "screens", "widgets")
# The panes whose probes `cockpit check` runs (the checklists pane has none).
PANES_WITH_PROBES = {"health", "queries", "bloat", "backups", "secrets"}


def tracked_package_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=CHECKOUT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert listed, "git ls-files listed nothing: the test needs a git checkout"
    return set(listed)


def clean_copy(folder: Path) -> Path:
    """The checkout's tracked files as they are in the work tree, as a fresh clone would have them.

    Not the checkout itself: setuptools builds the sdist from a stale ``*.egg-info/SOURCES.txt``
    left there by an earlier build or the editable install, which hid the missing SQL files.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=CHECKOUT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = CHECKOUT / name
        if source.is_file():  # a tracked file deleted in the work tree is not shipped
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel built from it (`python -m build`'s default), in a folder of their own."""
    out = tmp_path_factory.mktemp("dist")
    source = clean_copy(tmp_path_factory.mktemp("source"))
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    return out


def test_the_wheel_and_the_sdist_carry_every_tracked_file(dist: Path) -> None:
    tracked = tracked_package_files()
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as archive:
        # Members are "ops_cockpit-VERSION/cockpit/...": drop the top folder.
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not tracked - in_wheel, f"tracked but not in the wheel: {sorted(tracked - in_wheel)}"
    assert not tracked - in_sdist, f"tracked but not in the sdist: {sorted(tracked - in_sdist)}"
    assert any(name.endswith(".sql") for name in tracked)  # the files that were missing are tracked


@pytest.fixture
def installed(dist: Path, tmp_path: Path) -> Path:
    """A fresh venv with the wheel and its sandbox extra installed (pip's cache keeps this short)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    (wheel,) = dist.glob("*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-compile",
            f"{wheel}[sandbox]",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return venv / "bin" / "cockpit"


@pytest.fixture
def installed_sandbox(
    installed: Path, tmp_path: Path, keyring_env: dict[str, str]
) -> Iterator[tuple[Path, dict[str, str]]]:
    """The installed cockpit's own `sandbox up` (its S3 keys stored in the real Secret Service)."""
    folder = tmp_path / "box"
    env = dict(keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    up = subprocess.run(
        [str(installed), "sandbox", "up", "--dir", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    try:
        assert up.returncode == 0, up.stderr
        yield Path(up.stdout.strip()), env
    finally:
        subprocess.run(
            [str(installed), "sandbox", "down", "--dir", str(folder)],
            capture_output=True,
            env=env,
            timeout=60,
        )


def test_the_installed_wheel_checks_every_pane_of_its_sandbox(
    installed: Path, installed_sandbox: tuple[Path, dict[str, str]]
) -> None:
    config, env = installed_sandbox
    # The installed package, not the checkout's: nothing may be read from the source tree.
    where = subprocess.run(
        [str(installed.parent / "python"), "-c", "import cockpit; print(cockpit.__file__)"],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=installed.parent,
        check=True,
    ).stdout
    assert where.startswith(str(installed.parents[1])), where
    check = subprocess.run(
        [str(installed), "check", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    report = json.loads(check.stdout)
    findings = report["findings"]
    failed = [f["message"] for f in findings if f["message"].startswith("probe ")]
    assert not failed, failed
    assert {f["pane"] for f in findings} >= PANES_WITH_PROBES, findings
    checks = {f["check"] for f in findings}
    # One real finding from each pane's own probe, not only the pane's error line.
    for real in ("postgres.reachable", "queries.slow_statement", "bloat.table", "backup.age", "cert.expiry"):
        assert real in checks, (real, sorted(checks))
    unknown = [f["message"] for f in findings if f["severity"] == "unknown"]
    assert not unknown, unknown
