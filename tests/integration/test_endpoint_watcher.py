"""The endpoint watcher on real local HTTP servers: each endpoint at its own pace, a hanging one
delaying nobody, and ``stop`` ending the watch at once from another thread."""

from __future__ import annotations

import threading
import time

import pytest

from cockpit.config import HealthEndpoint
from cockpit.probes import endpoint_watcher
from cockpit.probes.endpoint_watcher import EndpointWatcher
from cockpit.probes.rolling import Sample
from tests.integration.http_servers import serve
from tests.unit.test_http_health import endpoint


def test_a_hanging_endpoint_delays_no_other_and_stop_ends_the_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fallback question asked rarely: only stop's wake-up can end the watch within the test.
    monkeypatch.setattr(endpoint_watcher, "CHECK_EVERY_S", 30.0)
    samples: dict[str, list[Sample]] = {}
    lock = threading.Lock()

    def sampled(watched: HealthEndpoint, sample: Sample) -> None:
        with lock:
            samples.setdefault(watched.url.rsplit("/", 1)[1], []).append(sample)

    with serve() as port:
        base = f"http://127.0.0.1:{port}"
        ok = endpoint(f"{base}/ok", interval_s=0.1)
        hang = endpoint(f"{base}/hang", timeout_s=5.0, interval_s=0.1)
        watcher = EndpointWatcher([ok, hang], concurrency=4, on_sample=sampled)
        thread = threading.Thread(target=watcher.run, args=(lambda: True,), daemon=True)
        thread.start()
        time.sleep(1.5)
        with lock:
            fast = list(samples.get("ok", []))
            hung = list(samples.get("hang", []))
        stopped_at = time.monotonic()
        watcher.stop()
        thread.join(timeout=10)
        took = time.monotonic() - stopped_at
    assert len(fast) >= 5, fast  # about one per 0.1 s plus a request: not held behind /hang
    assert all(s.ok for s in fast)
    assert hung == []  # still waiting on its 5 s timeout
    assert not thread.is_alive()
    assert took < 3.0  # woken at once, not at the next check 30 s on


def test_keep_going_saying_no_ends_the_watch_without_stop() -> None:
    """The owner gone without calling stop (an exit cut short by a signal): the once-a-second
    question ends the watch."""
    owner_alive = threading.Event()
    owner_alive.set()
    with serve() as port:
        watcher = EndpointWatcher(
            [endpoint(f"http://127.0.0.1:{port}/ok", interval_s=0.1)],
            concurrency=2,
            on_sample=lambda e, s: None,
        )
        thread = threading.Thread(target=watcher.run, args=(owner_alive.is_set,), daemon=True)
        thread.start()
        time.sleep(0.3)
        owner_alive.clear()
        thread.join(timeout=5)
    assert not thread.is_alive()
