"""S3 and IAM calls end at their deadlines when the endpoint stops answering.

With SeaweedFS frozen (SIGSTOP), `cockpit check`, `cockpit backup list`, the Backups pane and the
IAM reads end within the deadlines the settings give (s3_connect_timeout_s, s3_read_timeout_s,
s3_max_attempts), not botocore's own (60 s a read, three attempts), and the store is UNKNOWN in
one line that names it and its endpoint, whole.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cockpit.config import parse_config
from cockpit.sandbox.s3 import BUCKET, SandboxS3
from tests.conftest import clean_env

pytestmark = pytest.mark.integration

# Short deadlines, so the test is quick: at most 2 x (1 + 2) s of waiting, plus a retry's backoff.
SETTINGS = "[settings]\ns3_connect_timeout_s = 1\ns3_read_timeout_s = 2\ns3_max_attempts = 2\n"
DEADLINE_S = 20  # what the commands must end within here (botocore's defaults: over 180 s)


def frozen_config(s3: SandboxS3) -> str:
    return SETTINGS + (
        "[targets.t]\n"
        "[[targets.t.backups]]\n"
        f'name = "offsite"\nkind = "s3"\nbucket = "{BUCKET}"\nprefix = "app/"\n'
        f'endpoint_url = "{s3.endpoint}"\n'
        "[[targets.t.cloud_keys]]\n"
        f'name = "deployer"\nendpoint_url = "{s3.endpoint}"\n'
    )


def run(run_cockpit, s3: SandboxS3, config: Path, *args: str):  # type: ignore[no-untyped-def]
    env = clean_env(AWS_ACCESS_KEY_ID=s3.access_key, AWS_SECRET_ACCESS_KEY=s3.secret_key)
    started = time.monotonic()
    result = run_cockpit(*args, "--config", str(config), env=env, timeout=DEADLINE_S * 3)
    return result, time.monotonic() - started


def test_check_ends_at_the_deadline_with_unknown_naming_the_store_and_endpoint(
    frozen_s3: SandboxS3, tmp_path: Path, run_cockpit
) -> None:
    config = tmp_path / "frozen.toml"
    config.write_text(frozen_config(frozen_s3))
    result, took = run(run_cockpit, frozen_s3, config, "check", "--pane", "backups", "--json")
    assert took < DEADLINE_S, f"took {took:.0f}s"
    assert result.returncode == 3, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["severity"] == "unknown"
    assert finding["message"] == (
        f"store offsite (s3://{BUCKET}/app/) at {frozen_s3.endpoint}: listing: no answer within 2s "
        "(2 attempts; settings.s3_connect_timeout_s, s3_read_timeout_s, s3_max_attempts)"
    )


def test_backup_list_ends_at_the_deadline(frozen_s3: SandboxS3, tmp_path: Path, run_cockpit) -> None:
    config = tmp_path / "frozen.toml"
    config.write_text(frozen_config(frozen_s3))
    result, took = run(run_cockpit, frozen_s3, config, "backup", "list")
    assert took < DEADLINE_S, f"took {took:.0f}s"
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert f"at {frozen_s3.endpoint}: listing: no answer within 2s" in result.stdout


def test_the_iam_read_ends_at_the_deadline(frozen_s3: SandboxS3, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Secrets pane's IAM reads have the same deadlines (the frozen server stands in for an
    IAM endpoint: it never answers, whatever the protocol)."""
    from cockpit.probes.cloud_keys import read_user_keys

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", frozen_s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", frozen_s3.secret_key)
    _, target = parse_config(frozen_config(frozen_s3)).target(None)
    started = time.monotonic()
    reading = read_user_keys(target.cloud_keys[0])
    assert time.monotonic() - started < DEADLINE_S
    (problem,) = reading.problems
    assert problem.severity.label == "unknown"
    assert problem.message.startswith(f"IAM at {frozen_s3.endpoint}: no answer within 2s (2 attempts")


async def test_the_backups_pane_says_so_at_the_deadline(
    frozen_s3: SandboxS3, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pane's status line says the store is unknown, and why, at the deadline."""
    from textual.widgets import Label

    from screens.app import CockpitApp
    from tests.ui.conftest import wait_until

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", frozen_s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", frozen_s3.secret_key)
    app = CockpitApp(parse_config(frozen_config(frozen_s3)), store=store)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("4")
        started = time.monotonic()
        status = app.query_one("#backups-status", Label)
        await wait_until(pilot, lambda: "no answer within 2s" in str(status.render()), timeout=DEADLINE_S)
        assert time.monotonic() - started < DEADLINE_S
        assert str(status.render()).startswith(
            f"offsite unknown (store offsite (s3://{BUCKET}/app/) at {frozen_s3.endpoint}: listing:"
        )
