"""Snapshots of the shell at 80x24 and 160x48 (regenerate with --snapshot-update, never by hand)."""

from __future__ import annotations

from screens.app import CockpitApp


def test_shell_80x24(snap_compare, make_app) -> None:
    app: CockpitApp = make_app()
    assert snap_compare(app, press=["4"], terminal_size=(80, 24))


def test_shell_160x48_read_only_protected(snap_compare, make_app) -> None:
    app: CockpitApp = make_app(target="prod", read_only=True)
    assert snap_compare(app, terminal_size=(160, 48))


def test_help_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), press=["question_mark"], terminal_size=(80, 24))


def test_protected_confirmation_80x24(snap_compare, make_app) -> None:
    from cockpit.guard import ActionRequest

    app: CockpitApp = make_app(target="prod")

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        app.guard.arm("prod")  # armed: the header counts down, and each change still asks the name
        app._armed_changed()
        app.start_action(ActionRequest("bloat.vacuum_full", "VACUUM FULL public.audit_log"), lambda ctx: None)
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(80, 24))


def test_group_signal_confirmation_lists_every_session_80x24(snap_compare, make_app) -> None:
    from datetime import UTC, datetime

    from cockpit.actions.signals import request_for
    from cockpit.config import Database
    from cockpit.probes.queries import Session

    app: CockpitApp = make_app()
    start = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    sessions = [
        Session(4100 + i, "app", "app", "worker", "10.0.0.7", "active", "", start, start, start, 60.0, 60.0,
                f"UPDATE jobs SET state = 'done' WHERE id = {i}", ())
        for i in range(12)
    ]  # fmt: skip

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        app.start_action(
            request_for("terminate", Database(name="app", dsn="postgresql:///app"), sessions), print
        )
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(80, 24))


def test_statement_detail_with_a_plan_80x24(snap_compare, make_app) -> None:
    from cockpit.probes.queries import Statement
    from screens.statement_detail import StatementDetail

    app: CockpitApp = make_app()
    statement = Statement(
        42, "app", "app", 452, 271_000.0, 600.0, 452, 1200, 0,
        "SELECT f.name, count(*) FROM feature_flags f JOIN audit_log a ON a.details->>'flag' = f.name "
        "WHERE a.created_at > now() - $1::interval GROUP BY f.name ORDER BY count(*) DESC LIMIT $2",
    )  # fmt: skip
    plan = [
        "Limit  (cost=1520.41..1520.43 rows=10 width=40)",
        "  ->  Sort  (cost=1520.41..1520.91 rows=200 width=40)",
        "        Sort Key: (count(*)) DESC",
        "        ->  HashAggregate  (cost=1514.09..1516.09 rows=200 width=40)",
        "              ->  Hash Join  (cost=38.58..1447.42 rows=13333 width=32)",
    ]

    async def open_detail(pilot) -> None:  # type: ignore[no-untyped-def]
        detail = StatementDetail(statement, None, app.pane_env(), 10_000)
        await app.push_screen(detail)
        detail._show_plan(plan, "generic plan")
        await pilot.pause()

    assert snap_compare(app, run_before=open_detail, terminal_size=(80, 24))
