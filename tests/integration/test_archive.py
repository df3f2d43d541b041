"""The audit-log archive on the real sandbox server: count first, batches, resume, locks, guard.

Each test builds its own pair of tables in a database of its own (`archive_tests`), so the
sandbox's `app` audit_log stays as the demo shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from cockpit.actions.archive import archive_database, plan_archive, run_archive
from cockpit.config import Archive, Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionCancelled, ActionRefused, CockpitError
from cockpit.guard import CancelToken, Confirmation, Guard
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.conftest import own_database

DATABASE = "archive_tests"
ROWS = 3000  # one per hour of the last 125 days: 35 days (840 rows) are older than 90


def database(sandbox: Sandbox) -> Database:
    return Database(name="app", dsn=sandbox.postgres.dsn(DATABASE))


@pytest.fixture
def rule(sandbox: Sandbox) -> Iterator[Archive]:
    """A fresh audit table with one row an hour over 125 days, and its empty archive."""
    name = f"audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(own_database(sandbox, DATABASE), autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {name} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, action text NOT NULL,"
            " created_at timestamptz NOT NULL)".encode()
        )
        conn.execute(f"CREATE TABLE {name}_archive (LIKE {name} INCLUDING ALL)".encode())
        conn.execute(
            f"INSERT INTO {name} (action, created_at)"
            f" SELECT 'login', now() - make_interval(hours => g) FROM generate_series(1, {ROWS}) g".encode()
        )
    yield Archive(table=f"public.{name}", archive_table=f"{name}_archive", batch_rows=200)
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}, {name}_archive".encode())


def counts(sandbox: Sandbox, rule: Archive) -> tuple[int, int, int, int]:
    """Rows in the source, due rows left there, rows in the archive, distinct ids over both."""
    with psycopg.connect(sandbox.postgres.dsn(DATABASE)) as conn:
        row = conn.execute(
            f"SELECT (SELECT count(*) FROM {rule.table}),"
            f" (SELECT count(*) FROM {rule.table} WHERE created_at < now() - interval '90 days'),"
            f" (SELECT count(*) FROM {rule.archive_table}),"
            f" (SELECT count(DISTINCT id) FROM (SELECT id FROM {rule.table}"
            f"  UNION ALL SELECT id FROM {rule.archive_table}) AS everything)".encode()
        ).fetchone()
    assert row is not None
    return row


def test_the_count_comes_first_then_batches_move_every_due_row_once(
    sandbox: Sandbox, rule: Archive, store: StateStore
) -> None:
    plan = plan_archive(rule, database(sandbox), SessionPolicy(read_only=True))  # counting reads only
    due = counts(sandbox, rule)[1]
    assert plan.rows_due == due and 800 < due < 900
    assert plan.oldest is not None and datetime.now(UTC) - plan.oldest > timedelta(days=124)
    assert plan.batches == -(-due // 200)
    request = plan.request()
    assert f"{due:,} rows" in request.summary and any(
        "each its own transaction" in d for d in request.details
    )
    messages: list[str] = []
    guard = Guard(target="sandbox", store=store, read_only=False)
    detail = guard.run(
        request,
        Confirmation(confirmed=True),
        lambda ctx: run_archive(ctx, plan, SessionPolicy()),
        on_progress=lambda update: messages.append(update.message),
    )
    source, left, archived, distinct = counts(sandbox, rule)
    assert (left, archived, source + archived, distinct) == (0, due, ROWS, ROWS)
    assert f"{due:,} rows older than" in detail
    assert messages[0].startswith(f"archived 200 of {due:,} rows, about ")
    assert len(messages) == due // 200  # one per full batch
    record = store.audit_records()[0]
    assert (record.action, record.result, record.detail) == ("bloat.archive", "ok", detail)


def test_a_cancelled_run_keeps_its_batches_and_a_second_run_finishes(
    sandbox: Sandbox, rule: Archive, store: StateStore
) -> None:
    plan = plan_archive(rule, database(sandbox), SessionPolicy())
    guard = Guard(target="sandbox", store=store, read_only=False)
    token = CancelToken()

    def cancel_after_two_batches(update: object) -> None:
        if "archived 400" in str(update):
            token.cancel()

    with pytest.raises(ActionCancelled, match=r"after 400 of .* run it again to continue"):
        guard.run(
            plan.request(),
            Confirmation(confirmed=True),
            lambda ctx: run_archive(ctx, plan, SessionPolicy()),
            cancel=token,
            on_progress=cancel_after_two_batches,
        )
    _, left, archived, _ = counts(sandbox, rule)
    assert (archived, left) == (400, plan.rows_due - 400)  # whole batches, nothing half-moved
    again = plan_archive(rule, database(sandbox), SessionPolicy())
    assert again.rows_due == left
    guard.run(
        again.request(), Confirmation(confirmed=True), lambda ctx: run_archive(ctx, again, SessionPolicy())
    )
    source, left, archived, distinct = counts(sandbox, rule)
    assert (left, source + archived, distinct) == (0, ROWS, ROWS)
    assert [r.result for r in store.audit_records()] == ["ok", "cancelled"]


def test_rows_the_application_holds_locked_are_skipped_not_waited_for(
    sandbox: Sandbox, rule: Archive, store: StateStore
) -> None:
    plan = plan_archive(rule, database(sandbox), SessionPolicy())
    with psycopg.connect(sandbox.postgres.dsn(DATABASE)) as app:
        held = app.execute(
            f"SELECT id FROM {rule.table} ORDER BY created_at LIMIT 5 FOR UPDATE".encode()
        ).fetchall()
        guard = Guard(target="sandbox", store=store, read_only=False)
        detail = guard.run(
            plan.request(), Confirmation(confirmed=True), lambda ctx: run_archive(ctx, plan, SessionPolicy())
        )
        app.rollback()
    assert len(held) == 5 and f"{plan.rows_due - 5:,} rows" in detail
    assert counts(sandbox, rule)[1] == 5  # the next run takes them


def test_a_missing_archive_table_or_column_says_how_to_fix_it(sandbox: Sandbox, rule: Archive) -> None:
    with pytest.raises(CockpitError, match=r"create it with CREATE TABLE nowhere \(LIKE public\.audit_"):
        plan_archive(Archive(table=rule.table, archive_table="nowhere"), database(sandbox), SessionPolicy())
    with psycopg.connect(sandbox.postgres.dsn(DATABASE), autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {rule.table} ADD COLUMN ip inet".encode())
    with pytest.raises(CockpitError, match=r"lacks column\(s\) ip of .*ALTER TABLE"):
        plan_archive(rule, database(sandbox), SessionPolicy())
    with pytest.raises(CockpitError, match="has no column 'logged_at'"):
        plan_archive(
            Archive(table=rule.table, archive_table=rule.archive_table, column="logged_at"),
            database(sandbox),
            SessionPolicy(),
        )
    with pytest.raises(CockpitError, match=r"no database 'audit' \(configured: app\)"):
        archive_database(Archive(database="audit"), [database(sandbox)])


def test_read_only_refuses_the_archive(sandbox: Sandbox, rule: Archive, store: StateStore) -> None:
    plan = plan_archive(rule, database(sandbox), SessionPolicy(read_only=True))
    guard = Guard(target="sandbox", store=store, read_only=True)
    assert not guard.offers(plan.request())
    with pytest.raises(ActionRefused, match="read-only"):
        guard.run(
            plan.request(), Confirmation(confirmed=True), lambda ctx: run_archive(ctx, plan, SessionPolicy())
        )
    assert counts(sandbox, rule)[2] == 0
