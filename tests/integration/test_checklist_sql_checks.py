"""A checklist's SQL check on the real sandbox PostgreSQL: it reads, and nothing else.

Every attack the issue found (each wrote, ended a session or ran a shell command on the database
host through a check that passed validation) is refused by ``cockpit checklist validate`` and again
when a run checks it, with the definition taken straight into the journal as a shared journal
could hold it: the table keeps its rows, the victim session lives, no file appears, the server's
configuration is not reloaded, and the audit trail has a ``checklist.check`` refusal naming what
was refused. Below the refusal, the server itself refuses: the same texts sent by ``read_value``
(one statement on the extended protocol, in a rolled-back READ ONLY transaction) change nothing.
"""

from __future__ import annotations

import asyncio
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest

from cockpit.checklists.checks import read_value
from cockpit.checklists.format import Checklist, CheckStep, parse_checklist
from cockpit.checklists.journal import Journal
from cockpit.checklists.run import RunOperator, load_run, start_run
from cockpit.config import load_config
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import ActionRefused
from cockpit.guard import Guard
from cockpit.probes import ProbeContext
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from tests.unit.test_checklist_sql import ATTACKS, hostile


@pytest.fixture
def table(sandbox: Sandbox) -> Iterator[str]:
    name = f"victim_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id int)".encode())
        conn.execute(f"INSERT INTO {name} VALUES (1), (2), (3)".encode())
    yield name
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP TABLE {name}".encode())


@pytest.fixture
def victim(sandbox: Sandbox) -> Iterator[psycopg.Connection[tuple[int]]]:
    """A colleague's session on the same server: a check must not end it."""
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        yield conn


def operator_for(sandbox: Sandbox, journal: Journal, run_id: str, store: StateStore) -> RunOperator:
    """alice's operator on the sandbox-protected target, never armed (as the issue ran them)."""
    config = load_config(sandbox.config_path)
    name, target = config.target("sandbox-protected")
    context = ProbeContext(
        target_name=name, target=target, thresholds=config.thresholds_for(target),
        settings=config.settings, policy=SessionPolicy.from_settings(config.settings, read_only=True),
    )  # fmt: skip
    guard = Guard(target=name, store=store, read_only=False, protected=True)
    return RunOperator(journal, run_id, "alice", guard=guard, probe_context=context)


def rows(sandbox: Sandbox, table: str) -> int:
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        found = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
        return int(found[0]) if found else -1


def conf_loaded_at(sandbox: Sandbox) -> object:
    with psycopg.connect(sandbox.postgres.dsn(), autocommit=True) as conn:
        found = conn.execute("SELECT pg_conf_load_time()").fetchone()
        return found[0] if found else None


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_run_refuses_each_attack_and_nothing_changes(
    attack: str, sandbox: Sandbox, store: StateStore, table: str, victim: psycopg.Connection[tuple[int]],
    tmp_path: Path,
) -> None:  # fmt: skip
    """The definition goes into the journal unvalidated, as a shared journal may hold it."""
    marker = Path("/tmp") / f"cockpit-check-{uuid.uuid4().hex[:8]}"  # the server's OS user can write there
    sql, named = ATTACKS[attack]
    pid = victim.info.backend_pid
    text = hostile(sql.format(table=table, pid=pid, marker=marker))
    checklist = msgspec.convert(tomllib.loads(text), Checklist)
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox-protected", operator="alice", params={})
    alice = operator_for(sandbox, journal, run_id, store)
    loaded = conf_loaded_at(sandbox)
    with pytest.raises(ActionRefused, match=r"^step 'probe', key 'sql': ") as refused:
        alice.check(checklist.step("probe", CheckStep))
    assert named in str(refused.value)
    assert rows(sandbox, table) == 3
    assert victim.execute("SELECT 1").fetchone() == (1,)  # the session is alive
    assert not marker.exists()
    assert conf_loaded_at(sandbox) == loaded
    state = load_run(journal, run_id)
    assert state.steps["probe"].status == "pending"  # not done, not hung running
    assert state.steps["probe"].results[-1][2] == f"refused: {refused.value}"
    [record] = store.audit_records()
    assert (record.action, record.result, record.target) == (
        "checklist.check",
        "refused",
        "sandbox-protected",
    )
    assert (
        record.detail == str(refused.value) and record.params["sql"] == checklist.step("probe", CheckStep).sql
    )


def test_validate_on_the_command_line_says_one_line(run_cockpit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hostile.toml"
    path.write_text(hostile("SELECT pg_terminate_backend(4242)::int"), encoding="utf-8")
    done = run_cockpit("checklist", "validate", str(path))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "step 'probe', key 'sql': pg_terminate_backend() is refused" in lines[0]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) + 2 FROM pg_stat_activity WHERE pid = pg_backend_pid() AND query LIKE '%pg_terminate_backend%'",
        "SELECT count(*) FROM {table} -- not pg_reload_conf()",
        "SELECT /* pg_cancel_backend(1) */ count(*) FROM {table};",
        "SELECT length($$ pg_terminate_backend(1); DELETE $$) - 30 FROM {table} LIMIT 1",
        "SELECT length('\\') + 2 FROM {table} LIMIT 1",  # standard strings: a backslash is a character
        "SELECT length(E'a'\n'\\'b') FROM {table} LIMIT 1",  # E'' continued: \' is a quote, 3 characters
        "WITH n AS (SELECT count(*) AS c FROM {table}) SELECT c FROM n",
        "(SELECT 3)",
    ],
)
def test_honest_checks_pass_and_are_audited(
    sql: str, sandbox: Sandbox, store: StateStore, table: str
) -> None:
    text = hostile(sql.format(table=table)).replace("max_value = 1000", "min_value = 3\nmax_value = 3")
    checklist = parse_checklist(text, "honest.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox-protected", operator="alice", params={})
    outcome = operator_for(sandbox, journal, run_id, store).check(checklist.step("probe", CheckStep))
    assert outcome.ok and outcome.value == 3, outcome.message
    [record] = store.audit_records()
    assert (record.action, record.result, record.detail) == (
        "checklist.check",
        "ok",
        f"passed: {outcome.message}",
    )


@pytest.mark.parametrize(
    ("sql", "server_says"),
    [
        ("BEGIN READ WRITE; DELETE FROM {table}; COMMIT; SELECT 1", "syntax error"),
        ("SELECT 1) AS a; DELETE FROM {table}; SELECT * FROM (SELECT 1", "cannot insert multiple commands"),
        ("SET transaction_read_only = off", "syntax error"),
        ("SELECT set_config('transaction_read_only', 'off', true)", "must be set before any query"),
        ("SELECT set_config('default_transaction_read_only', 'off', false)", None),  # rolled back
        ("DELETE FROM {table}", "syntax error"),
        ("COMMIT", "syntax error"),
        ("COPY (SELECT 1) TO PROGRAM 'touch {marker}'", "syntax error"),
        (
            "WITH gone AS (DELETE FROM {table} RETURNING 1) SELECT count(*) FROM gone",
            "must be at the top level",
        ),
        ("SELECT id FROM {table} FOR UPDATE", "read-only transaction"),
        ("SELECT 1 -- a comment does not swallow the closing parenthesis", None),
        ("SELECT 1;", None),
    ],
)
def test_the_server_refuses_what_the_text_would_change(
    sql: str, server_says: str | None, sandbox: Sandbox, table: str
) -> None:
    """Below checklist_sql's refusal: ``read_value`` itself, given the texts unchecked."""
    marker = Path("/tmp") / f"cockpit-check-{uuid.uuid4().hex[:8]}"
    config = load_config(sandbox.config_path)
    database = config.target("sandbox")[1].databases[0]
    policy = SessionPolicy.from_settings(config.settings, read_only=False)  # read_value makes it read-only
    text = sql.format(table=table, marker=marker)
    if server_says is None:
        asyncio.run(read_value(database, policy, text))
    else:
        with pytest.raises(psycopg.Error, match=server_says):
            asyncio.run(read_value(database, policy, text))
    assert rows(sandbox, table) == 3
    assert not marker.exists()


def test_a_check_returning_text_fails_in_one_line(sandbox: Sandbox, store: StateStore) -> None:
    """``SELECT version()`` raised ValueError in the worker, which died silently: the step ran forever."""
    checklist = parse_checklist(hostile("SELECT version()"), "text.toml")
    journal = Journal.local(store)
    run_id = start_run(journal, checklist, target="sandbox-protected", operator="alice", params={})
    outcome = operator_for(sandbox, journal, run_id, store).check(checklist.step("probe", CheckStep))
    assert not outcome.ok
    assert outcome.message.startswith("the check's SQL returned str 'PostgreSQL "), outcome.message
    assert "not a number: make it return one" in outcome.message and "\n" not in outcome.message
    state = load_run(journal, run_id)
    assert state.steps["probe"].status == "pending"
    assert state.steps["probe"].results[-1] == (state.steps["probe"].results[-1][0], False, outcome.message)
    assert store.audit_records()[0].result == "ok"  # the check ran; it did not pass
