"""A run acts on its own target and nowhere else, and a command step runs exactly what it shows.

The issue: a run started on ``sandbox-protected``, reopened in a cockpit on ``sandbox``, ran its
VACUUM step on ``sandbox`` (audited ``target=sandbox``) while the run's record said
``sandbox-protected``; and a command step showed ``fill(step.command, params)`` but ran the
unfilled ``step.command``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cockpit.checklists.actions import ActionEnv
from cockpit.checklists.format import ActionStep, CheckStep, CommandStep, parse_checklist
from cockpit.checklists.journal import Journal
from cockpit.checklists.run import RunOperator, command_line, load_run, start_run
from cockpit.config import load_config
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionRefused
from cockpit.guard import Confirmation, Guard
from cockpit.probes import ProbeContext
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore

CHECKLIST = """
id = "two-targets"
title = "Acts on its own target"

[[params]]
name = "who"

[[sections]]
name = "pre"

[[sections.steps]]
id = "count"
title = "Rows there"
kind = "check"
sql = "SELECT count(*) FROM {table}"
min_value = 0

[[sections.steps]]
id = "analyze"
title = "ANALYZE the table"
kind = "action"
action = "analyze"
params = {{ table = "public.{table}" }}

[[sections.steps]]
id = "greet"
title = "Say hello"
kind = "command"
command = "echo hello {{who}} > {path}"
"""


@pytest.fixture
def table(sandbox: Sandbox) -> Iterator[str]:
    name = f"target_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id int)".encode())
    yield name
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP TABLE {name}".encode())


def operator_on(
    sandbox: Sandbox, target_name: str, journal: Journal, run_id: str, store: StateStore
) -> tuple[RunOperator, ActionEnv]:
    """alice's operator in a cockpit on ``target_name`` (both sandbox targets reach one server)."""
    config = load_config(sandbox.config_path)
    name, target = config.target(target_name)
    context = ProbeContext(
        target_name=name, target=target, thresholds=config.thresholds_for(target),
        settings=config.settings, policy=SessionPolicy.from_settings(config.settings, read_only=True),
    )  # fmt: skip
    guard = Guard(target=name, store=store, read_only=False)
    operator = RunOperator(journal, run_id, "alice", guard=guard, probe_context=context, allow_commands=True)
    return operator, ActionEnv(target, SessionPolicy.from_settings(config.settings, read_only=False))


def test_a_run_of_one_target_opened_on_another_acts_on_neither(
    sandbox: Sandbox, store: StateStore, table: str, tmp_path: Path
) -> None:
    path = tmp_path / "greeted"
    checklist = parse_checklist(CHECKLIST.format(table=table, path=path), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(
        journal, checklist, target="sandbox-protected", operator="alice", params={"who": "bob"}
    )
    elsewhere, env = operator_on(sandbox, "sandbox", journal, run_id, store)
    said = (
        f"run {run_id} is on target sandbox-protected, this cockpit is on sandbox: its checks, actions "
        "and commands run only on sandbox-protected (cockpit --target sandbox-protected)"
    )
    with pytest.raises(ActionRefused) as refused:
        elsewhere.check(checklist.step("count", CheckStep))
    assert str(refused.value) == said
    with pytest.raises(ActionRefused, match="is on target sandbox-protected"):
        elsewhere.prepare_action(checklist.step("analyze", ActionStep), env)
    # An action prepared on the run's own target, then handed to the wrong cockpit: refused too.
    own, own_env = operator_on(sandbox, "sandbox-protected", journal, run_id, store)
    prepared = own.prepare_action(checklist.step("analyze", ActionStep), own_env)
    with pytest.raises(ActionRefused, match="is on target sandbox-protected"):
        elsewhere.run_action(
            checklist.step("analyze", ActionStep), prepared, Confirmation(confirmed=True, typed="sandbox")
        )
    step = checklist.step("greet", CommandStep)
    with pytest.raises(ActionRefused, match="is on target sandbox-protected"):
        elsewhere.run_command(step, command_line(step, {"who": "bob"}))
    assert not path.exists()
    records = store.audit_records()
    assert [(r.action, r.result, r.target) for r in reversed(records)] == [
        ("checklist.check", "refused", "sandbox"),
        ("checklist.action.analyze", "refused", "sandbox"),
        ("bloat.analyze", "refused", "sandbox"),
        ("checklist.command", "refused", "sandbox"),
    ]
    assert all(r.detail == said for r in records)
    assert [e.kind for e in journal.events(run_id)] == ["run_started"]  # the run saw nothing happen


def test_on_its_own_target_the_run_checks_and_acts(
    sandbox: Sandbox, store: StateStore, table: str, tmp_path: Path
) -> None:
    checklist = parse_checklist(CHECKLIST.format(table=table, path=tmp_path / "x"), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"who": "bob"})
    own, env = operator_on(sandbox, "sandbox", journal, run_id, store)
    assert own.check(checklist.step("count", CheckStep)).ok
    own.run_action(
        checklist.step("analyze", ActionStep),
        own.prepare_action(checklist.step("analyze", ActionStep), env),
        Confirmation(True),
    )
    assert [(r.action, r.result, r.target) for r in reversed(store.audit_records())] == [
        ("checklist.check", "ok", "sandbox"),
        ("bloat.analyze", "ok", "sandbox"),
    ]


def test_a_command_runs_exactly_what_it_shows(
    sandbox: Sandbox, store: StateStore, table: str, tmp_path: Path
) -> None:
    path = tmp_path / "greeted"
    checklist = parse_checklist(CHECKLIST.format(table=table, path=path), "test.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox", operator="alice", params={"who": "bob"})
    own, _ = operator_on(sandbox, "sandbox", journal, run_id, store)
    step = checklist.step("greet", CommandStep)
    shown = command_line(step, load_run(journal, run_id).info.params)
    assert shown == f"echo hello bob > {path}" == own.command_line(step)
    with pytest.raises(
        ActionRefused, match="the command confirmed is not the step's \\(step greet's is 'echo hello bob"
    ):
        own.run_command(step, "echo something else")  # not what the screen showed: nothing runs
    assert not path.exists()
    own.run_command(step, shown)
    assert path.read_text() == "hello bob\n"  # filled, as shown: not "hello {who}"
    records = list(reversed(store.audit_records()))
    assert [(r.action, r.result, r.params["command"]) for r in records] == [
        ("checklist.command", "refused", shown),
        ("checklist.command", "ok", shown),
    ]
    assert load_run(journal, run_id).steps["greet"].status == "done"
