"""HTTP health endpoints: probe them concurrently, classify every failure, judge the window.

One ``AsyncClient`` per TLS setting (in practice one) keeps connections alive between polls; a
semaphore bounds concurrency; each request has a hard deadline (connect + headers + body) and
its body is read only up to ``MAX_BODY_BYTES``, so a 1 GB or endless body costs nothing. A
failure is a sample with a reason that says what happened, never an exception.

The requests run, and are timed, on an event loop of their own in a thread that does nothing
else (``RequestLoop``), whichever loop calls ``HttpProber.probe``: a latency is the endpoint's
own and a timeout a real one. Timed on the caller's loop, a sample would include whatever else
that loop does meanwhile (``cockpit check`` connecting to and reading every database): a fast
endpoint would read as slow, and a deadline would run out on time the endpoint never took.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from cockpit.errors import CredentialError
from cockpit.model import Finding, Severity, measured
from cockpit.probes.rolling import RollingWindow, Sample
from cockpit.probes.rows import EndpointStatus
from cockpit.redact import redact
from cockpit.secrets import credentials
from cockpit.units import format_size

if TYPE_CHECKING:
    import httpx

    from cockpit.config import HealthEndpoint, Thresholds

MAX_BODY_BYTES = 256 * 1024
DEFAULT_CONCURRENCY = 32
USER_AGENT = "ops-cockpit health probe"
_T = TypeVar("_T")


def _skip_httpx_cli() -> None:
    """Called before ``import httpx``: it must not import its command-line tool.

    httpx imports its CLI (click, pygments, rich.syntax: megabytes of the TUI's resident memory,
    bench/idle_footprint.py) whenever click happens to be installed; the cockpit never runs it,
    and httpx falls back to a stub when the import fails.
    """
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _tls_reason(error: ssl.SSLCertVerificationError) -> str:
    code = getattr(error, "verify_code", None)
    message = getattr(error, "verify_message", "") or str(error)
    if code == 10:
        return "TLS error: certificate expired"
    if code in (18, 19):
        return "TLS error: self-signed certificate"
    if code in (20, 21):
        return "TLS error: certificate signed by an unknown CA (set ca_bundle?)"
    if code == 62 or "hostname" in message.lower() or "ip address mismatch" in message.lower():
        return "TLS error: certificate does not match the host name"
    return f"TLS error: {message}"


def classify(error: BaseException, timeout_s: float) -> str:
    """One phrase for what went wrong: DNS, refused, which TLS problem, timeout..."""
    _skip_httpx_cli()
    import httpx

    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return f"timeout after {timeout_s:g}s"
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _tls_reason(cause)
        if isinstance(cause, socket.gaierror):
            return "DNS failure: the host name does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}"
    text = str(error) or type(error).__name__
    if "Name or service not known" in text or "Temporary failure in name resolution" in text:
        return "DNS failure: the host name does not resolve"
    if "Connection refused" in text or "All connection attempts failed" in text:
        return "connection refused"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"protocol error: {text}"
    return f"cannot reach it: {text}"


def _check_json(body: bytes, truncated: bool, expected: dict[str, Any]) -> str | None:
    """None when the body meets the expectations, else why not."""
    if truncated:
        return f"body larger than {format_size(MAX_BODY_BYTES)}: not JSON we can check"
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"body is not JSON (expected {', '.join(sorted(expected))})"
    except RecursionError:  # ``[[[[...``: 256 KiB of nesting; one endpoint's fault, not the probe's
        return "body is not JSON (nested too deeply to read)"
    if not isinstance(data, dict):
        return "body is JSON but not an object"
    for key, wanted in expected.items():
        if key not in data:
            return f"JSON has no {key!r} (expected {wanted!r})"
        if data[key] != wanted:
            return f"{key} is {data[key]!r} (expected {wanted!r})"
    return None


@dataclass(frozen=True, slots=True)
class Answer:
    """What an endpoint answered, and how long it took (ms), before it is checked."""

    at: float
    status: int
    body: bytes
    truncated: bool
    latency_ms: float


CLOSING_S = 5.0  # the clients' close at the loop's end; after it, the loop is closed anyway


def _run_until_stopped(
    loop: asyncio.AbstractEventLoop, closing: Callable[[], Awaitable[None]] | None
) -> None:
    """``loop`` until stopped, then ended as asyncio.run ends one: a loop stopped between two
    passes can hold a request cancelled on its way out, or a connection whose close is a callback
    still queued, and closing it then would leave their sockets open. ``closing`` (the clients'
    close) runs last, once no request is left: here and not in the caller's task, so that a
    cancelled caller cannot skip it (clients dropped unclosed leave their sockets to the GC)."""
    loop.run_forever()
    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
    if closing is not None:
        with contextlib.suppress(Exception):  # a close that fails or hangs: the loop ends anyway
            loop.run_until_complete(asyncio.wait_for(closing(), CLOSING_S))
    loop.run_until_complete(asyncio.sleep(0))  # the queued close callbacks run
    loop.run_until_complete(loop.shutdown_asyncgens())


class RequestLoop:
    """An event loop in a daemon thread of its own, running nothing but the coroutines handed to
    ``run``: the requests whose time is the latency. Started on first use, stopped by ``close``,
    which runs ``closing`` on the loop last (see _run_until_stopped)."""

    def __init__(self, closing: Callable[[], Awaitable[None]] | None = None) -> None:
        self._closing = closing
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _started(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=_run_until_stopped,
                args=(self._loop, self._closing),
                name="http-requests",
                daemon=True,
            )
            self._thread.start()
        return self._loop

    async def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """``coroutine``'s result, run on this loop; cancelling the caller cancels it there too."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._started()))

    def close(self) -> None:
        """Stop the loop and its thread (after the coroutines handed to it have ended)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


class HttpProber:
    """Probes endpoints through shared keep-alive clients, at most ``concurrency`` at a time, on a
    ``RequestLoop`` of its own: the clients, the semaphore and the timing all live on that loop."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._clients: dict[tuple[bool, str | None], httpx.AsyncClient] = {}
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tokens: dict[str, str] = {}
        self._requests = RequestLoop(closing=self._close_clients)

    def _client(self, endpoint: HealthEndpoint) -> httpx.AsyncClient:
        _skip_httpx_cli()
        import httpx

        key = (endpoint.verify_tls, endpoint.ca_bundle)
        if key not in self._clients:
            verify: ssl.SSLContext | bool = False
            if endpoint.verify_tls:
                verify = ssl.create_default_context(cafile=endpoint.ca_bundle)
            self._clients[key] = httpx.AsyncClient(
                verify=verify,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                limits=httpx.Limits(
                    max_connections=DEFAULT_CONCURRENCY * 2, max_keepalive_connections=DEFAULT_CONCURRENCY
                ),
            )
        return self._clients[key]

    def _headers(self, endpoint: HealthEndpoint) -> dict[str, str]:
        if endpoint.token is None:
            return {}
        if endpoint.token not in self._tokens:
            value = credentials.resolve(endpoint.token)
            assert value is not None
            self._tokens[endpoint.token] = value
        return {"Authorization": f"Bearer {self._tokens[endpoint.token]}"}

    async def probe(self, endpoint: HealthEndpoint) -> Sample:
        """One request, timed on the request loop; a Sample whose ``detail`` says what happened."""
        try:
            headers = self._headers(endpoint)  # the keyring's answer is read here, not timed
        except CredentialError as exc:
            return Sample(time.time(), False, None, str(exc))
        answer = await self._requests.run(self._timed(endpoint, headers))
        if isinstance(answer, Sample):
            return answer
        # Checked here, on the caller's loop: the request loop only sends, reads and times.
        if answer.status != endpoint.expect_status:
            return Sample(
                answer.at,
                False,
                answer.latency_ms,
                f"unexpected status {answer.status} (expected {endpoint.expect_status})",
            )
        if endpoint.expect_json:
            problem = _check_json(answer.body, answer.truncated, dict(endpoint.expect_json))
            if problem is not None:
                return Sample(answer.at, False, answer.latency_ms, redact(problem))
        return Sample(answer.at, True, answer.latency_ms, f"{answer.status} in {answer.latency_ms:.0f} ms")

    async def _timed(self, endpoint: HealthEndpoint, headers: dict[str, str]) -> Answer | Sample:
        """On the request loop, which does nothing else: the time from sending to the last byte
        read is the endpoint's (connecting included when no kept-alive connection is left). A
        failure is its Sample."""
        client = self._client(endpoint)  # set-up is not latency: create before timing
        async with self._semaphore:
            started = time.perf_counter()
            now = time.time()
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for returns the result when the
                # request ends as it is cancelled, losing the cancel (the pane's stop waits).
                async with asyncio.timeout(endpoint.timeout_s):
                    status, body, truncated = await self._fetch(client, endpoint, headers)
            except Exception as exc:
                return Sample(now, False, None, redact(classify(exc, endpoint.timeout_s)))
            return Answer(now, status, body, truncated, (time.perf_counter() - started) * 1000)

    async def _fetch(
        self, client: httpx.AsyncClient, endpoint: HealthEndpoint, headers: dict[str, str]
    ) -> tuple[int, bytes, bool]:
        async with client.stream(
            endpoint.method, endpoint.url, headers=headers, timeout=endpoint.timeout_s
        ) as response:
            body = bytearray()
            truncated = False
            if endpoint.method != "HEAD":
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        truncated = True
                        break
            return response.status_code, bytes(body[:MAX_BODY_BYTES]), truncated

    async def aclose(self) -> None:
        """Stop the request loop, which closes the clients on it last (the loop they were used
        on), after the requests still on it have ended."""
        self._requests.close()

    async def _close_clients(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def judge(
    endpoint: HealthEndpoint, window: RollingWindow, thresholds: Thresholds
) -> tuple[EndpointStatus, list[Finding]]:
    """The endpoint's row and findings from its window: the pane and `check` both call this."""
    last = window.last
    findings: list[Finding] = []
    if last is None:
        findings.append(Finding("http.status", endpoint.name, Severity.UNKNOWN, "no sample yet"))
    elif last.ok:
        findings.append(
            Finding(
                "http.status", endpoint.name, Severity.OK, last.detail, value=round(last.latency_ms or 0, 1)
            )
        )
    else:
        findings.append(Finding("http.status", endpoint.name, Severity.CRIT, last.detail, hint=endpoint.url))
    p95 = window.p95()
    if p95 is not None:
        findings.append(
            measured(
                "http.latency_p95",
                endpoint.name,
                p95,
                f"p95 {p95:.0f} ms over {len(window)} samples",
                warn=thresholds.latency_p95_warn_ms,
                crit=thresholds.latency_p95_crit_ms,
            )
        )
    errors = window.error_rate_pct()
    if errors is not None:
        findings.append(
            measured(
                "http.error_rate",
                endpoint.name,
                errors,
                f"{errors:.1f}% errors over {len(window)} samples",
                warn=thresholds.error_rate_warn_pct,
                crit=thresholds.error_rate_crit_pct,
            )
        )
    worst = max(findings, key=lambda f: f.severity.rank)
    success = window.last_success
    since = (datetime.now(UTC) - datetime.fromtimestamp(success.at, UTC)) if success else None
    status = EndpointStatus(
        name=endpoint.name,
        url=endpoint.url,
        severity=Severity.worst(f.severity for f in findings),
        reason=worst.message,
        last_latency_ms=last.latency_ms if last else None,
        p50_ms=window.p50(),
        p95_ms=p95,
        error_rate_pct=errors,
        trend=window.trend(24),
        since_success=since,
    )
    return status, findings
