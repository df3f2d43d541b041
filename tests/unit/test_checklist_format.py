"""Checklist files: the built-ins are valid; a broken file's error names the file, step and key."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from cockpit.checklists.actions import ACTION_NAMES
from cockpit.checklists.format import (
    ActionStep,
    ChecklistError,
    CheckStep,
    CommandStep,
    ManualStep,
    parse_checklist,
    recorded,
)
from cockpit.checklists.library import builtin, load_library, validate
from cockpit.config import Settings

GOOD = """
id = "mine"
title = "Mine"
kind = "maintenance"

[[params]]
name = "severity"
choices = ["P0", "P1"]

[[sections]]
name = "pre"

[[sections.steps]]
id = "one"
title = "First"
when = { param = "severity", among = ["P0"] }

[[sections.steps]]
id = "two"
title = "Second"
kind = "check"
sql = "SELECT 1"
max_value = 1
"""


def test_every_runbook_procedure_has_a_built_in_checklist() -> None:
    ids = set(builtin())
    assert {
        "maintenance-window", "weekly-db-cleanup", "monthly-db-optimisation", "incident-response",
        "data-breach-response", "credential-compromise", "key-rotation", "rollback", "dr-drill",
        "deployment-verification", "gdpr-data-request",
    } <= ids  # fmt: skip
    breach = builtin()["data-breach-response"].checklist
    assert [s.deadline for _, s in breach.steps if s.deadline] == ["15m", "30m", "1h", "4h", "24h", "48h"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "check"\nsql', 'kind = "chekc"\nsql'), r"step 'two', key 'kind': 'chekc' is not one of manual, check, action, command"),
        (("max_value = 1", "max_value = 'x'"), r"step 'two', key 'max_value': Expected `float"),
        (('id = "two"', 'id = "one"'), r"step 'one': the id is used twice"),
        (("sql = \"SELECT 1\"\n", ""), r"step 'two', key 'finding' or 'sql': a check step needs exactly one"),
        (('among = ["P0"]', 'among = ["P9"]'), r"step 'one', key 'when': \['P9'\] not among severity's choices"),
        (('title = "First"', 'title = "First"\ndeadline = "soon"'), r"step 'one', key 'deadline': "),
        (('title = "First"', 'title = "First"\ncolour = "red"'), r"step 'one', key 'colour': unknown key \(a typo\?\)"),
        (('title = "First"', 'title = "First"\nsql = "SELECT 1"'),
         r"step 'one', key 'sql': a check step's key, not a manual step's \(kind = \"check\"\?\)"),
        (('title = "Second"\n', ''), r"step 'two', key 'title': required, and missing"),
        (('kind = "check"\nsql = "SELECT 1"\nmax_value = 1', 'kind = "action"\naction = "drop_everything"'),
         r"step 'two', key 'action': unknown action 'drop_everything'"),
        (("[[sections]]", "[[sections]\n"), r"not valid TOML"),
    ],
)  # fmt: skip
def test_a_broken_checklist_names_file_step_and_key(change: tuple[str, str], message: str) -> None:
    parse_checklist(GOOD, "mine.toml", known_actions=ACTION_NAMES)  # the unbroken one is fine
    with pytest.raises(ChecklistError, match=r"^mine\.toml: " + message):
        parse_checklist(GOOD.replace(*change), "mine.toml", known_actions=ACTION_NAMES)


def test_the_library_adds_your_folder_and_lists_broken_files(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(GOOD)
    (tmp_path / "broken.toml").write_text(GOOD.replace('id = "two"', 'id = "one"'))
    library = load_library(Settings(checklists_dir=str(tmp_path)))
    assert library.get("mine").title == "Mine" and library.entries["mine"].source.endswith("mine.toml")
    assert len(library.errors) == 1 and "broken.toml: step 'one': the id is used twice" in library.errors[0]
    with pytest.raises(ChecklistError, match="no checklist 'nope'"):
        library.get("nope")
    assert validate(tmp_path / "mine.toml").id == "mine"


def test_checklist_validate_on_the_command_line(run_cockpit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD)
    bad.write_text(GOOD.replace("max_value = 1", ""))
    ok = run_cockpit("checklist", "validate", str(good))
    assert ok.returncode == 0 and "ok: mine (2 steps)" in ok.stdout
    broken = run_cockpit("checklist", "validate", str(bad))
    assert broken.returncode != 0
    assert f"{bad}: step 'two', key 'max_value': an sql check needs max_value or min_value" in broken.stderr


def test_a_run_definition_with_every_kinds_keys_reads_as_its_steps_kinds() -> None:
    """A journal's definition may hold every step with every kind's keys at their defaults (one
    struct held them all): each step reads as its kind, with its own keys."""
    every: dict[str, object] = {
        "detail": "", "deadline": None, "when": None, "each": None, "repeat": None, "rollback": "",
        "note_required": False, "evidence": "", "finding": None, "subject": None, "max_severity": "ok",
        "pass_if_absent": False, "sql": None, "database": None, "max_value": None, "min_value": None,
        "wait": False, "interval": "10s", "timeout": "10m", "action": None, "params": {},
        "window_only": False, "command": None,
    }  # fmt: skip
    steps = [
        {**every, "id": "one", "title": "Confirm", "kind": "manual", "note_required": True},
        {**every, "id": "two", "title": "Check", "kind": "check", "sql": "SELECT 1", "max_value": 1.0},
        {**every, "id": "three", "title": "Vacuum", "kind": "action", "action": "analyze"},
        {**every, "id": "four", "title": "Page", "kind": "command", "command": "page-oncall"},
    ]
    definition = {
        "id": "old", "title": "Old", "kind": "other", "description": "", "window": None, "params": [],
        "sections": [{"name": "pre", "title": "", "steps": steps}],
    }  # fmt: skip
    one, two, three, four = (step for _, step in recorded(definition).steps)
    assert isinstance(one, ManualStep) and one.note_required
    assert isinstance(two, CheckStep) and (two.sql, two.max_value) == ("SELECT 1", 1.0)
    assert isinstance(three, ActionStep) and three.action == "analyze"
    assert isinstance(four, CommandStep) and four.command == "page-oncall"
    parsed = parse_checklist(GOOD, "mine.toml")
    assert recorded(msgspec.to_builtins(parsed)) == parsed  # what a run records today reads back whole


def test_a_step_asked_for_by_kind_is_of_that_kind() -> None:
    checklist = parse_checklist(GOOD, "mine.toml")
    assert checklist.step("two", CheckStep).sql == "SELECT 1"
    with pytest.raises(TypeError, match=r"^step 'one' is a manual step, not a check one$"):
        checklist.step("one", CheckStep)
