"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.s3 import SandboxS3
from tests.integration.http_servers import serve


@pytest.fixture
def s3_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's S3 keys through the standard AWS chain (the sandbox fixture has no keyring)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", sandbox.s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sandbox.s3.secret_key)


@pytest.fixture(scope="module")
def frozen_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxS3]:
    """A SeaweedFS of its own, its bucket made, then stopped with SIGSTOP: it still accepts TCP
    connections (the kernel does) and never answers, as a hung or frozen S3 endpoint. Resumed with
    SIGCONT before it is stopped. Not the shared sandbox's: freezing that would stall every test."""
    s3 = SandboxS3(Path(tmp_path_factory.mktemp("frozen-s3")))
    s3.start()
    assert s3.pid is not None
    os.killpg(s3.pid, signal.SIGSTOP)  # its own session (start_new_session): the whole group
    try:
        yield s3
    finally:
        os.killpg(s3.pid, signal.SIGCONT)
        s3.stop()


@pytest.fixture(scope="module")
def delayed_endpoints() -> Iterator[str]:
    """A server whose /delay/MS answers after MS ms, a known latency: its base URL. Plain HTTP:
    a TLS handshake on a loaded 2-core machine varies by 30-150 ms by itself."""
    with serve() as port:
        yield f"http://127.0.0.1:{port}"
