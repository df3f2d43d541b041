"""The Health pane on the real sandbox, and its tables' layout at 80x24 and 160x48."""

from __future__ import annotations

from datetime import timedelta

from textual.app import App, ComposeResult

from cockpit.config import load_config
from cockpit.model import Severity
from cockpit.probes.rows import EndpointStatus, PgHealth
from cockpit.sandbox.manager import Sandbox
from screens.app import CockpitApp
from tests.ui.conftest import wait_until
from widgets.findings_table import FindingsTable
from widgets.health_tables import DatabaseTable, EndpointTable


async def test_live_pane_on_the_sandbox(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        endpoints = app.query_one(EndpointTable)
        databases = app.query_one(DatabaseTable)
        await wait_until(pilot, lambda: endpoints.row_count == 3 and databases.row_count == 1)
        assert str(endpoints.cell("failing", "status")) == "CRIT"
        assert str(endpoints.cell("healthy", "status")) == "OK"
        # The sandbox's blocker/blocked pair makes the database WARN (one session waits on a lock).
        await wait_until(pilot, lambda: str(databases.cell("app", "blocked")) == "1")
        assert str(databases.cell("app", "status")) == "WARN"
        # 80 columns: every narrow column shown, the reason cut (it is whole in the findings).
        assert set(EndpointTable.NARROW) <= set(endpoints.shown_columns)
        reason = "unexpected status 503 (expected 200)"
        assert not any(reason in endpoints.render_line(y).text for y in range(endpoints.size.height))
        findings = app.query_one(FindingsTable)
        assert str(findings.cell("http.status\x00failing", "message")) == (
            "unexpected status 503 (expected 200)"
        )
        await pilot.press("r")
    rows = store.query("SELECT kind, count(*) FROM health_samples GROUP BY kind ORDER BY kind")
    assert [r[0] for r in rows] == ["http", "pg"]  # the pane recorded its samples


async def test_history_survives_a_restart(sandbox: Sandbox, store) -> None:
    config = load_config(sandbox.config_path)
    first = CockpitApp(config, store=store)
    async with first.run_test(size=(80, 24)) as pilot:
        table = first.query_one(EndpointTable)
        await wait_until(pilot, lambda: table.row_count == 3)
    again = CockpitApp(config, store=store)
    async with again.run_test(size=(80, 24)) as pilot:
        # Before any new probe answers (slow takes 1.2 s), the rows come from history.
        table = again.query_one(EndpointTable)
        await wait_until(pilot, lambda: table.row_count >= 1, timeout=1.0)


class TablesApp(App[None]):
    """The two tables with fixed rows: their layout, not live data, is what the snapshot pins."""

    def compose(self) -> ComposeResult:
        yield EndpointTable()
        yield DatabaseTable()

    def on_mount(self) -> None:
        trend = [12.0, 14.0, None, 30.0, 12.0, 11.0, 250.0, 13.0]
        self.query_one(EndpointTable).show(
            [
                EndpointStatus(
                    "api",
                    "https://api/health",
                    Severity.OK,
                    "200 in 12 ms",
                    12.0,
                    12.5,
                    30.0,
                    0.0,
                    trend,
                    timedelta(seconds=3),
                ),
                EndpointStatus(
                    "payments",
                    "https://pay/health",
                    Severity.CRIT,
                    "TLS error: certificate expired",
                    None,
                    80.0,
                    410.0,
                    12.5,
                    [80.0, None, None],
                    timedelta(minutes=7),
                ),
            ]
        )
        self.query_one(DatabaseTable).show(
            [
                (
                    PgHealth(
                        "app",
                        True,
                        query_ms=1.2,
                        version="18.6",
                        uptime_s=90000,
                        connections=42,
                        max_connections=100,
                        oldest_xact_s=12.0,
                        oldest_idle_xact_s=400.0,
                        cache_hit=0.9934,
                        xid_age=1000,
                        freeze_max_age=200_000_000,
                        replicas=1,
                        statements_installed=True,
                        mean_statement_ms=3.4,
                        size_bytes=5 * 1024**3,
                    ),
                    Severity.WARN,
                ),
                (PgHealth("reports", False, error="connection refused", reconnecting=True), Severity.CRIT),
            ]
        )


def test_tables_80x24(snap_compare) -> None:
    assert snap_compare(TablesApp(), terminal_size=(80, 24))


def test_tables_160x48(snap_compare) -> None:
    assert snap_compare(TablesApp(), terminal_size=(160, 48))


async def test_observer_sessions_are_read_only(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one("HealthPane")
        monitor = next(iter(pane._monitors.values()))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: monitor.session.connection is not None)
        cursor = await monitor.session.connection.execute("SHOW default_transaction_read_only")
        assert (await cursor.fetchone()) == ("on",)


async def test_the_probing_thread_stops_even_when_a_cancel_is_lost(
    sandbox: Sandbox, store, monkeypatch
) -> None:
    """A full test run hung for good in an event loop's shutdown: one endpoint loop ran on after
    its cancel, holding the probing thread. Python 3.11's asyncio.wait_for returns the result
    when a request ends just as it is cancelled, losing the cancel. That moment cannot be timed
    from outside, so this test's double of HttpProber.probe loses every cancel (a test double,
    for a fault that cannot be produced at will); the probing must end anyway once the app goes."""
    import asyncio
    import time

    import msgspec

    from cockpit.probes.http import HttpProber
    from cockpit.probes.rolling import Sample

    stubborn = True
    lost: list[str] = []
    probed: list[float] = []  # a tick while any probe is in flight: the probing is alive
    answered: set[str] = set()
    held: set[str] = set()

    async def probe_losing_cancels(self: HttpProber, endpoint) -> Sample:  # type: ignore[no-untyped-def]
        if not stubborn:
            raise asyncio.CancelledError  # ends a loop left running, so a failure cannot hang the suite
        probed.append(time.monotonic())
        if endpoint.name in answered:
            # From the second probe on, each is held in flight until it is cancelled, so the
            # app's exit always finds every endpoint loop here and the cancel always lands here.
            held.add(endpoint.name)
            while True:
                try:
                    await asyncio.sleep(0.1)
                except asyncio.CancelledError:
                    lost.append(endpoint.name)  # as 3.11's wait_for does when the request has just ended
                    break
                probed.append(time.monotonic())
        answered.add(endpoint.name)
        return Sample(time.time(), True, 1.0, "200 in 1 ms")

    monkeypatch.setattr(HttpProber, "probe", probe_losing_cancels)
    config = load_config(sandbox.config_path)
    name, target = config.target(None)
    quick = [msgspec.structs.replace(e, interval_s=0.01) for e in target.health]
    config = msgspec.structs.replace(
        config, targets={**config.targets, name: msgspec.structs.replace(target, health=quick)}
    )
    app = CockpitApp(config, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        endpoints = app.query_one(EndpointTable)
        await wait_until(pilot, lambda: endpoints.row_count == 3)
        await wait_until(pilot, lambda: len(held) == 3)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() - probed[-1] < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert lost, "no cancel was lost: the double did not do its job"
        assert time.monotonic() - probed[-1] >= 2, "the endpoints were still probed after the app ended"
    finally:
        stubborn = False


async def test_a_hostile_body_keeps_its_endpoint_row(make_app) -> None:  # type: ignore[no-untyped-def]
    """200 KB of `[` raised RecursionError in the endpoint's task: its row silently vanished
    (it never came). It is one CRIT row, saying why, beside the healthy one."""
    from tests.integration.http_servers import serve

    with serve() as port:
        base = f"http://127.0.0.1:{port}"
        app = make_app(
            f"""
[targets.t]
[[targets.t.health]]
name = "deep"
url = "{base}/deep"
interval_s = 0.5
expect_json = {{ status = "ok" }}
[[targets.t.health]]
name = "api"
url = "{base}/ok"
interval_s = 0.5
expect_json = {{ status = "ok" }}
"""
        )
        async with app.run_test(size=(120, 30)) as pilot:
            table = app.query_one(EndpointTable)
            await wait_until(pilot, lambda: table.row_count == 2, timeout=10)
            assert str(table.cell("deep", "status")) == "CRIT"
            assert str(table.cell("api", "status")) == "OK"
            findings = app.query_one(FindingsTable)
            await wait_until(pilot, lambda: findings.row_count >= 1, timeout=10)
            assert str(findings.cell("http.status\x00deep", "message")) == (
                "body is not JSON (nested too deeply to read)"
            )
