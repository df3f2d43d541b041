"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from cockpit.sandbox.manager import Sandbox


@pytest.fixture
def s3_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's S3 keys through the standard AWS chain (the sandbox fixture has no keyring)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.secret_key)
