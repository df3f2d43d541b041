"""Health history: `cockpit check` runs build it, the pane reads it, it stays bounded."""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.conftest import clean_env


def test_successive_checks_accumulate_samples(sandbox: Sandbox, run_cockpit, tmp_path: Path) -> None:
    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"))
    for expected in (1, 2):
        result = run_cockpit("check", "--config", str(sandbox.config_path), "--json", env=env)
        findings = {(f["check"], f["subject"]): f for f in json.loads(result.stdout)["findings"]}
        assert findings[("http.error_rate", "failing")]["message"] == f"100.0% errors over {expected} samples"
    store = StateStore(tmp_path / "state" / "state.sqlite3")
    kinds = {r[0] for r in store.query("SELECT DISTINCT kind FROM health_samples")}
    store.close()
    assert kinds == {"http", "pg"}
