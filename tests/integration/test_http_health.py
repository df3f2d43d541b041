"""HTTP health probes against real local servers: each failure says what happened."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import timedelta
from pathlib import Path

from cockpit.config import HealthEndpoint, Thresholds
from cockpit.model import Severity
from cockpit.probes.http import HttpProber
from cockpit.sandbox.processes import free_port
from tests.integration.http_servers import make_authority, serve, tls_context
from tests.unit.test_http_health import EXPECT, endpoint


async def probe(*endpoints: HealthEndpoint):  # type: ignore[no-untyped-def]
    prober = HttpProber(concurrency=8)
    try:
        return await asyncio.gather(*(prober.probe(e) for e in endpoints))
    finally:
        await prober.aclose()


async def test_plain_http_behaviours() -> None:
    with serve() as port:
        base = f"http://127.0.0.1:{port}"
        ok, fail, garbage, bad_json, missing = await probe(
            endpoint(f"{base}/ok"),
            endpoint(f"{base}/fail"),
            endpoint(f"{base}/garbage"),
            endpoint(f"{base}/bad-json"),
            endpoint(f"{base}/nope", expect_json={}),
        )
    assert ok.ok and ok.latency_ms is not None and ok.detail.startswith("200 in ")
    assert not fail.ok and fail.detail == "unexpected status 503 (expected 200)"
    assert not garbage.ok and garbage.detail == "body is not JSON (expected database, status)"
    assert not bad_json.ok and bad_json.detail == "database is 'disconnected' (expected 'connected')"
    assert missing.detail == "unexpected status 404 (expected 200)"


async def test_endless_body_is_capped_and_a_hang_times_out_alone() -> None:
    with serve() as port:
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        endless, hang, ok = await probe(
            endpoint(f"{base}/endless"), endpoint(f"{base}/hang", timeout_s=1.0), endpoint(f"{base}/ok")
        )
        took = time.monotonic() - started
    assert not endless.ok and "larger than 256.0 kB: not JSON" in endless.detail
    assert not hang.ok and hang.detail == "timeout after 1s"
    assert ok.ok
    assert took < 2.5  # concurrent: about one timeout, not the sum


async def test_refused_and_dns_failure() -> None:
    refused, dns = await probe(
        endpoint(f"http://127.0.0.1:{free_port()}/ok"), endpoint("http://nothing-here.invalid/ok")
    )
    assert refused.detail == "connection refused"
    assert dns.detail == "DNS failure: the host name does not resolve"


async def test_tls_problems_are_named(tmp_path: Path) -> None:
    authority = make_authority(tmp_path / "ca")
    good = tls_context(authority, "good", ["localhost", "127.0.0.1"], expires_in=timedelta(days=90))
    expired = tls_context(authority, "expired", ["localhost"], expires_in=timedelta(days=-2))
    wrong = tls_context(authority, "wrong", ["other.example"], expires_in=timedelta(days=90))
    self_signed = tls_context(
        authority, "self", ["localhost"], expires_in=timedelta(days=90), self_signed=True
    )
    ca = str(authority.cert_path)
    with serve(good) as p1, serve(expired) as p2, serve(wrong) as p3, serve(self_signed) as p4:
        results = await probe(
            endpoint(f"https://localhost:{p1}/ok", ca_bundle=ca),
            endpoint(f"https://localhost:{p2}/ok", ca_bundle=ca),
            endpoint(f"https://localhost:{p3}/ok", ca_bundle=ca),
            endpoint(f"https://localhost:{p4}/ok", ca_bundle=ca),
            endpoint(f"https://localhost:{p1}/ok"),  # system CAs do not know ours
            endpoint(f"https://localhost:{p2}/ok", verify_tls=False),
        )
    details = [r.detail for r in results]
    assert results[0].ok, details
    assert details[1:5] == [
        "TLS error: certificate expired",
        "TLS error: certificate does not match the host name",
        "TLS error: self-signed certificate",
        "TLS error: certificate signed by an unknown CA (set ca_bundle?)",
    ]
    assert results[5].ok  # verification off: the expired certificate is accepted


async def test_a_deeply_nested_body_is_one_finding_about_its_endpoint() -> None:
    """200 KB of `[` made json.loads raise RecursionError out of the probe: `cockpit check --pane
    health` then showed one UNKNOWN and lost every other endpoint's findings."""
    from cockpit.config import Settings, Target
    from cockpit.db.sessions import SessionPolicy
    from cockpit.probes.context import ProbeContext
    from cockpit.probes.health import health_check

    with serve() as port:
        base = f"http://127.0.0.1:{port}"
        deep, ok = await probe(endpoint(f"{base}/deep"), endpoint(f"{base}/ok"))
        assert not deep.ok and deep.detail == "body is not JSON (nested too deeply to read)"
        assert ok.ok
        target = Target(
            health=[
                HealthEndpoint(name="deep", url=f"{base}/deep", expect_json=EXPECT),
                HealthEndpoint(name="api", url=f"{base}/ok", expect_json=EXPECT),
            ]
        )
        context = ProbeContext("t", target, Thresholds(), Settings(), SessionPolicy())
        snapshot = await health_check(context)
    statuses = {f.subject: f for f in snapshot.findings if f.check == "http.status"}
    assert statuses["deep"].severity is Severity.CRIT
    assert statuses["deep"].message == "body is not JSON (nested too deeply to read)"
    assert statuses["api"].severity is Severity.OK


async def test_a_prober_cancelled_mid_request_still_closes_its_clients() -> None:
    """A probe cancelled as it waits (a pane unmounted, a check's run stopped) and a close right
    after: the clients are closed on the request loop, none left for the GC to find open."""

    def request_loops() -> int:
        return sum(1 for thread in threading.enumerate() if thread.name == "http-requests")

    before = request_loops()
    with serve() as port:
        prober = HttpProber(concurrency=8)
        ok = await prober.probe(endpoint(f"http://127.0.0.1:{port}/ok"))  # a kept-alive connection
        assert ok.ok
        slow = asyncio.create_task(prober.probe(endpoint(f"http://127.0.0.1:{port}/slow", timeout_s=5)))
        await asyncio.sleep(0.2)
        slow.cancel()
        clients = list(prober._clients.values())
        # The close itself cancelled once started (a second cancel of the task in its finally).
        closing = asyncio.create_task(prober.aclose())
        await asyncio.sleep(0)
        closing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closing
    assert clients and all(client.is_closed for client in clients)
    assert request_loops() == before  # its loop and thread ended too
