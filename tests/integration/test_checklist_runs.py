"""Checklist runs on the sandbox: a whole run headless, a check that waits, an action through the
guard, a killed process resumed, two writers, an observer following, both journal stores."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cockpit.checklists.format import ActionStep, CheckStep, parse_checklist
from cockpit.checklists.journal import Journal, NotHolder
from cockpit.checklists.report import render_report
from cockpit.checklists.run import RunOperator, load_run, refresh, start_run
from cockpit.config import load_config
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionRefused, CockpitError
from cockpit.guard import Arming, Confirmation, Guard
from cockpit.probes import ProbeContext
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore

CHECKLIST = """
id = "test-run"
title = "A test run"
kind = "maintenance"

[[params]]
name = "severity"
choices = ["P0", "P3"]

[[sections]]
name = "pre"
title = "Before"

[[sections.steps]]
id = "announce"
title = "Announce it"
note_required = true

[[sections.steps]]
id = "p0-only"
title = "Page everyone"
when = {{ param = "severity", among = ["P0"] }}

[[sections.steps]]
id = "rows-arrive"
title = "The marker row has arrived"
kind = "check"
sql = "SELECT count(*) FROM {table}"
min_value = 1
wait = true
interval = "1s"
timeout = "60s"

[[sections]]
name = "during"

[[sections.steps]]
id = "analyze"
title = "ANALYZE the table"
kind = "action"
action = "analyze"
params = {{ table = "public.{table}" }}
deadline = "1h"

[[sections.steps]]
id = "optional"
title = "Something we will skip"
rollback = "nothing to undo"
"""


@pytest.fixture
def table(sandbox: Sandbox) -> Iterator[str]:
    name = f"marker_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id int)")
    yield name
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP TABLE {name}")


def operator_for(
    sandbox: Sandbox, journal: Journal, run_id: str, who: str, store: StateStore, *, read_only: bool = False,
    arming: Arming | None = None,
) -> RunOperator:  # fmt: skip
    config = load_config(sandbox.config_path)
    name, target = config.target(None)
    context = ProbeContext(
        target_name=name, target=target, thresholds=config.thresholds_for(target),
        settings=config.settings, policy=SessionPolicy.from_settings(config.settings, read_only=True),
    )  # fmt: skip
    guard = Guard(target=name, store=store, read_only=read_only, protected=arming is not None, arming=arming)
    return RunOperator(journal, run_id, who, guard=guard, probe_context=context)


def action_env(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    from cockpit.checklists.actions import ActionEnv

    config = load_config(sandbox.config_path)
    return ActionEnv(config.target(None)[1], SessionPolicy.from_settings(config.settings, read_only=False))


def test_a_whole_run_headless(sandbox: Sandbox, store: StateStore, table: str) -> None:
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    alice = operator_for(sandbox, journal, run_id, "alice", store)
    state = load_run(journal, run_id)
    assert state.steps["p0-only"].status == "skipped"
    assert state.steps["p0-only"].reason == "condition: severity is P3, not P0"
    with pytest.raises(CockpitError, match="needs a note"):
        alice.done(checklist.step("announce"))
    alice.done(checklist.step("announce"), "posted in #ops")

    # The check waits until its condition holds: the row arrives two seconds later.
    def arrive() -> None:
        with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
            conn.execute(f"INSERT INTO {table} VALUES (1)")

    threading.Timer(2.0, arrive).start()
    outcome = alice.check(checklist.step("rows-arrive", CheckStep))
    assert outcome.ok and outcome.value == 1
    prepared = alice.prepare_action(checklist.step("analyze", ActionStep), action_env(sandbox))
    assert prepared.request.summary == f"ANALYZE public.{table} on app"
    alice.run_action(checklist.step("analyze", ActionStep), prepared, Confirmation(confirmed=True))
    alice.note(checklist.step("optional"), "decided against it")
    alice.skip(checklist.step("optional"), "not needed this week")
    state = load_run(journal, run_id)
    assert state.current is None
    assert alice.finish(state) == "done"
    state = load_run(journal, run_id)
    waits = [r for r in state.steps["rows-arrive"].results if not r[1]]
    assert waits and "wanted: at least 1" in waits[0][2]  # it did wait, and said why
    assert [(r.action, r.result) for r in reversed(store.audit_records())] == [
        ("checklist.check", "ok"),  # every check is audited (issue 21), then the action
        ("bloat.analyze", "ok"),
    ]
    report = render_report(state, journal.now())
    for expected in (
        "# A test run", "Status: **done**", "Parameters: severity = P3",
        "[-] **Page everyone** (skipped", "Reason: condition: severity is P3, not P0",
        "[x] **Announce it** (done", "by alice", "Note: posted in #ops",
        "Reason: not needed this week", "Note (", "decided against it",
        "Deadlines: 1 of 1 met", "deadline 1h", ": met", "| step_done | announce | posted in #ops |",
    ):  # fmt: skip
        assert expected in report, expected


def test_read_only_cannot_write_to_a_run(sandbox: Sandbox, store: StateStore, table: str) -> None:
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    observer = operator_for(sandbox, journal, run_id, "alice", store, read_only=True)
    with pytest.raises(ActionRefused, match="read-only"):
        observer.done(checklist.step("announce"), "x")
    with pytest.raises(ActionRefused, match="read-only"):
        observer.take_over()
    assert len(journal.events(run_id)) == 2  # run_started and the condition's skip


def test_a_protected_target_unarmed_the_run_goes_on_but_its_actions_wait(
    sandbox: Sandbox, store: StateStore, table: str
) -> None:
    """Ticking steps and taking over change no target: allowed unarmed. The ANALYZE is refused
    until the operator arms the target's writes, then runs (the name typed, as always)."""
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    arming = Arming()
    alice = operator_for(sandbox, journal, run_id, "alice", store, arming=arming)
    alice.done(checklist.step("announce"), "posted in #ops")
    prepared = alice.prepare_action(checklist.step("analyze", ActionStep), action_env(sandbox))
    typed = Confirmation(confirmed=True, typed=alice.guard.target)
    with pytest.raises(ActionRefused, match="is protected: arm its writes first"):
        alice.run_action(checklist.step("analyze", ActionStep), prepared, typed)
    operator_for(sandbox, journal, run_id, "bob", store, arming=arming).take_over()
    bob = operator_for(sandbox, journal, run_id, "bob", store, arming=arming)
    bob.guard.arm(bob.guard.target)
    bob.run_action(checklist.step("analyze", ActionStep), prepared, typed)
    state = load_run(journal, run_id)
    assert [state.steps[s].status for s in ("announce", "analyze")] == ["done", "done"]
    assert [(r.action, r.result) for r in reversed(store.audit_records())] == [
        ("bloat.analyze", "refused"), ("checklist.take_over", "ok"), ("target.arm", "ok"),
        ("bloat.analyze", "ok"),
    ]  # fmt: skip


def test_a_window_only_action_outside_a_window_is_refused_and_recorded(
    sandbox: Sandbox, store: StateStore, table: str
) -> None:
    text = CHECKLIST.format(table=table).replace('deadline = "1h"', "window_only = true")
    checklist = parse_checklist(text, "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    alice = operator_for(sandbox, journal, run_id, "alice", store)  # given no window at all
    prepared = alice.prepare_action(checklist.step("analyze", ActionStep), action_env(sandbox))
    # The refusal names the rule that refused (the step's), not the target (issue 23 item 10).
    refusal = "step 'analyze' is window_only: outside the maintenance window (no maintenance window)"
    with pytest.raises(ActionRefused, match=re.escape(refusal)):
        alice.run_action(checklist.step("analyze", ActionStep), prepared, Confirmation(confirmed=True))
    state = load_run(journal, run_id)
    assert state.steps["analyze"].status == "pending"
    assert state.steps["analyze"].results[-1][2] == refusal
    assert (store.audit_records()[0].result, store.audit_records()[0].detail) == ("refused", refusal)


KILLED_RUN = """
import os, signal, sys
from cockpit.checklists.format import parse_checklist
from cockpit.checklists.run import start_run
from cockpit.checklists.journal import Journal
from cockpit.state import StateStore
from pathlib import Path

journal = Journal.local(StateStore(Path(sys.argv[1])))
checklist = parse_checklist(sys.argv[2], "test.toml")
run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P0"})
journal.append(run_id, "alice", "step_done", "announce", {"note": "posted"})
journal.append(run_id, "alice", "note", "p0-only", {"text": "paging now"})
print(run_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the SSH session drops: no cleanup, no goodbye
"""


def test_a_killed_process_loses_nothing_and_the_run_resumes(
    sandbox: Sandbox, tmp_path: Path, table: str
) -> None:
    path = tmp_path / "state.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(path), CHECKLIST.format(table=table)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    run_id = done.stdout.strip()
    store = StateStore(path)
    try:
        journal = Journal.local(store)
        assert [r.id for r in journal.runs(unfinished=True)] == [run_id]
        state = load_run(journal, run_id)
        assert state.steps["announce"].status == "done"
        assert state.steps["p0-only"].notes[0][2] == "paging now"
        assert state.current is not None and state.current.step.id == "p0-only"
        alice = operator_for(sandbox, journal, run_id, "alice", store)
        alice.done(state.checklist.step("p0-only"))  # the same operator resumes where it stopped
        assert load_run(journal, run_id).current.step.id == "rows-arrive"  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_journals(
    request: pytest.FixtureRequest, sandbox: Sandbox, tmp_path: Path
) -> Iterator[tuple[Journal, Journal]]:
    """Two handles on one journal, as two cockpits (or two bastions) have."""
    if request.param == "sqlite":
        first, second = StateStore(tmp_path / "s.sqlite3"), StateStore(tmp_path / "s.sqlite3")
        yield Journal.local(first), Journal.local(second)
        first.close()
        second.close()
        return
    name = f"journal_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = sandbox.postgres.dsn(name)
    one, two = Journal.shared(url), Journal.shared(url)
    yield one, two
    one.close()
    two.close()
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_two_writers_and_an_observer(two_journals: tuple[Journal, Journal], table: str) -> None:
    alices, bobs = two_journals
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    run_id = start_run(alices, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    following = load_run(bobs, run_id)  # bob follows alice's run from his own cockpit
    alices.append(run_id, "alice", "step_done", "announce", {"note": "posted"})
    started = time.monotonic()
    assert refresh(bobs, following) and time.monotonic() - started < 1.0
    assert following.steps["announce"].status == "done"
    with pytest.raises(NotHolder, match="alice holds this run"):
        bobs.append(run_id, "bob", "step_done", "rows-arrive", {})
    bobs.take_over(run_id, "bob")
    with pytest.raises(NotHolder, match="bob holds this run"):
        alices.append(run_id, "alice", "step_done", "rows-arrive", {})
    assert not alices.heartbeat(run_id, "alice") and bobs.heartbeat(run_id, "bob")
    bobs.append(run_id, "bob", "step_done", "rows-arrive", {"note": "checked by hand"})
    state = load_run(alices, run_id)
    assert state.holder == "bob" and [e.kind for e in state.events][-2:] == ["takeover", "step_done"]
    assert state.events[-2].detail == {"from": "alice"}


def test_take_over_is_audited(sandbox: Sandbox, store: StateStore, table: str) -> None:
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    operator_for(sandbox, journal, run_id, "bob", store).take_over()
    record = store.audit_records()[0]
    assert (record.action, record.result, record.detail) == (
        "checklist.take_over",
        "ok",
        "taken over from alice",
    )


def test_an_abandoned_run_says_why_in_the_journal_the_audit_and_the_report(
    sandbox: Sandbox, store: StateStore, table: str
) -> None:
    """Issue 23 item 10: a run could only be skipped step by step, never abandoned."""
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P0"})
    alice = operator_for(sandbox, journal, run_id, "alice", store)
    with pytest.raises(CockpitError, match="abandoning a run needs a reason"):
        alice.abandon("  ")
    alice.abandon("started by mistake: a stray Enter")
    state = load_run(journal, run_id)
    assert (state.status, state.end_reason) == ("abandoned", "started by mistake: a stray Enter")
    assert journal.run(run_id).status == "abandoned" and journal.runs(unfinished=True) == []
    record = store.audit_records()[0]
    assert (record.action, record.result, record.detail) == (
        "checklist.abandon", "ok", "abandoned: started by mistake: a stray Enter"
    )  # fmt: skip
    report = render_report(state, journal.now())
    assert "Status: **abandoned**" in report
    assert "- Abandoned by alice at " in report and ": started by mistake: a stray Enter" in report
    with pytest.raises(CockpitError, match="this run is abandoned"):
        alice.done(checklist.step("announce"), "too late")


def test_other_severities_steps_are_not_the_runs(store: StateStore, table: str) -> None:
    """Issue 23 item 10: the other severities' steps counted as skipped and inflated progress."""
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    state = load_run(journal, run_id)
    assert "p0-only" not in [s.step.id for s in state.applicable]
    assert [s.step.id for s in state.applicable] == ["announce", "rows-arrive", "analyze", "optional"]
    assert not any(s.resolved for s in state.applicable)  # nothing done yet: progress 0 of 4


def test_a_held_run_keeps_its_lease_while_the_process_lives(
    store: StateStore, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23 item 7: with the run's screen closed, the holder showed "(gone)" after a minute
    while its process was alive. The journal renews what this process holds, screen or not."""
    monkeypatch.setattr(Journal, "RENEW_EVERY_S", 0.2)
    checklist = parse_checklist(CHECKLIST.format(table=table), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"severity": "P3"})
    journal.hold(run_id, "alice")
    with store.transaction() as db:  # a minute and more of silence, as far as the lease knows
        db.execute("UPDATE checklist_runs SET lease_until = 0 WHERE id = ?", (run_id,))
    assert not journal.run(run_id).holder_active
    deadline = time.monotonic() + 5
    while not journal.run(run_id).holder_active and time.monotonic() < deadline:
        time.sleep(0.1)
    assert journal.run(run_id).holder_active
    journal.finish(run_id, "alice", "done")
    assert not journal.heartbeat(run_id, "alice")  # a finished run has no holder to renew
    journal.close()
