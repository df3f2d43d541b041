"""Snapshots of the shell at 80x24 and 160x48 (regenerate with --snapshot-update, never by hand)."""

from __future__ import annotations

from cockpit.app import CockpitApp


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
        app.start_action(ActionRequest("bloat.vacuum_full", "VACUUM FULL public.audit_log"), lambda ctx: None)
        await pilot.pause()

    assert snap_compare(app, run_before=open_dialog, terminal_size=(80, 24))
