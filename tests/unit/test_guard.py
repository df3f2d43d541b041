"""The action guard: read-only refuses, protected needs the typed name, everything is audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from cockpit.actor import Actor
from cockpit.errors import ActionCancelled, ActionRefused
from cockpit.guard import (
    ActionContext,
    ActionRequest,
    Confirmation,
    ConfirmationKind,
    Guard,
)
from cockpit.redact import MASK
from cockpit.state import StateStore
from cockpit.windows import WindowState

VACUUM = ActionRequest(
    "bloat.vacuum",
    "VACUUM (ANALYZE) public.audit_log",
    {"table": "public.audit_log", "password": "s3cr3t-value"},
)
YES = Confirmation(confirmed=True)
ACTOR = Actor(user="alice", sudo_user="root", ssh_client="203.0.113.7:52144", host="jump1")


def make_guard(store: StateStore, **options: object) -> Guard:
    return Guard(target="prod", store=store, actor=ACTOR, **options)  # type: ignore[arg-type]


def test_read_only_refuses_every_mutation_and_audits_the_attempt(store: StateStore) -> None:
    guard = make_guard(store, read_only=True)
    ran = []
    assert not guard.offers(VACUUM)
    with pytest.raises(ActionRefused, match="read-only mode"):
        guard.run(VACUUM, YES, lambda ctx: ran.append(1))
    assert ran == []
    record = store.audit_records()[0]
    assert (record.action, record.result, record.actor) == ("bloat.vacuum", "refused", "alice")
    assert "read-only" in record.detail


def test_read_only_still_allows_reading(store: StateStore) -> None:
    guard = make_guard(store, read_only=True)
    explain = ActionRequest("queries.explain", "EXPLAIN", mutating=False)
    assert guard.offers(explain)
    assert guard.confirmation_needed(explain) is ConfirmationKind.NONE
    assert guard.run(explain, None, lambda ctx: 42) == 42


def test_an_unconfirmed_action_is_refused(store: StateStore) -> None:
    guard = make_guard(store, read_only=False)
    assert guard.confirmation_needed(VACUUM) is ConfirmationKind.YES
    for answer in (None, Confirmation(confirmed=False)):
        with pytest.raises(ActionRefused, match="needs a confirmation"):
            guard.run(VACUUM, answer, lambda ctx: None)


def test_protected_target_needs_its_name_typed(store: StateStore) -> None:
    guard = make_guard(store, read_only=False, protected=True)
    assert guard.confirmation_needed(VACUUM) is ConfirmationKind.TYPED
    with pytest.raises(ActionRefused, match="type its name"):
        guard.run(VACUUM, Confirmation(confirmed=True, typed="prdo"), lambda ctx: None)
    assert guard.run(VACUUM, Confirmation(confirmed=True, typed="prod"), lambda ctx: "done") == "done"


def test_require_window(store: StateStore) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    closed = WindowState(now=now, next_name="weekly", next_start=datetime(2026, 11, 29, 2, tzinfo=UTC))
    guard = make_guard(store, read_only=False, require_window=True, windows=lambda: closed)
    with pytest.raises(ActionRefused, match="only in a maintenance window .next window weekly"):
        guard.run(VACUUM, YES, lambda ctx: None)
    open_ = WindowState(now=now, active_name="weekly", active_until=now)
    guard = make_guard(store, read_only=False, require_window=True, windows=lambda: open_)
    guard.run(VACUUM, YES, lambda ctx: None)


def test_audit_record_has_who_where_what_and_redacted_params(store: StateStore) -> None:
    guard = make_guard(store, read_only=False)

    def action(ctx: ActionContext) -> None:
        ctx.progress("vacuuming", 0.5)
        ctx.result_detail = "freed 12 MB"

    guard.run(VACUUM, YES, action)
    record = store.audit_records()[0]
    assert record.result == "ok" and record.detail == "freed 12 MB"
    assert (record.sudo_user, record.ssh_client, record.host, record.target) == (
        "root",
        "203.0.113.7:52144",
        "jump1",
        "prod",
    )
    assert record.params == {"table": "public.audit_log", "password": MASK}
    assert record.ended_at is not None and record.ended_at >= record.started_at
    raw = store.path.read_bytes() + b"".join(p.read_bytes() for p in store.path.parent.glob("*-wal"))
    assert b"s3cr3t-value" not in raw


def test_failures_and_cancellation_are_audited(store: StateStore) -> None:
    guard = make_guard(store, read_only=False)

    def boom(ctx: ActionContext) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        guard.run(VACUUM, YES, boom)
    assert store.audit_records()[0].result == "failed"
    assert "disk full" in store.audit_records()[0].detail

    started = threading.Event()

    def long_action(ctx: ActionContext) -> None:
        started.set()
        while True:
            ctx.progress("working")

    from cockpit.guard import CancelToken

    token = CancelToken()
    fired: list[bool] = []
    token.on_cancel(lambda: fired.append(True))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            guard.run(VACUUM, YES, long_action, cancel=token)
        except ActionCancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(5)
    token.cancel()
    thread.join(5)
    assert not thread.is_alive() and fired == [True] and len(outcome) == 1
    assert store.audit_records()[0].result == "cancelled"


def test_actor_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.4 50022 10.0.0.5 22")
    monkeypatch.setenv("SUDO_USER", "bob")
    actor = Actor.current()
    assert actor.ssh_client == "198.51.100.4:50022" and actor.sudo_user == "bob"
    assert "via ssh from 198.51.100.4:50022" in actor.describe()


def test_require_window_holds_back_changes_to_the_target_not_backups(store: StateStore) -> None:
    """A backup or an export only reads the target, a prune changes the store: a target's
    require_window does not hold them back (README, "Backups"). A verification on the target's
    own server creates and loads a database there: it waits for the window; on the store's
    scratch server it does not. A checklist step's window_only holds back anything."""
    from cockpit.backups.export import export_request
    from cockpit.backups.retention import prune_request
    from cockpit.backups.run import backup_request
    from cockpit.backups.verify import verify_request
    from cockpit.config import BackupStore, Database

    now = datetime(2026, 11, 23, tzinfo=UTC)
    closed = WindowState(now=now, next_name="weekly", next_start=datetime(2026, 11, 29, 2, tzinfo=UTC))
    guard = make_guard(store, read_only=False, require_window=True, windows=lambda: closed)
    nas = BackupStore(name="nas", kind="folder", path="/srv/nas")
    scratch = BackupStore(
        name="s3", kind="folder", path="/srv/s3", scratch_dsn="postgresql://r@scratch/postgres"
    )
    app = Database(name="app", dsn="postgresql://app@db/app")
    for free in (
        backup_request(nas, app),
        export_request(nas, app, ["public.orders"]),
        prune_request(nas, []),
        verify_request(scratch, "k.dump"),
    ):
        assert guard.refusal(free, YES) is None, free.action
    for held in (VACUUM, verify_request(nas, "k.dump")):
        assert "only in a maintenance window" in (guard.refusal(held, YES) or ""), held.action
    step = guard.variant(window_rule="step 'backup' is window_only")
    assert (step.refusal(backup_request(nas, app), YES) or "").startswith("step 'backup' is window_only")
