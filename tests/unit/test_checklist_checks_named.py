"""What the built-in checklists check is what their titles say, and what they name exists.

`cockpit checklist validate` knows every finding a probe makes, read from the probes' own code
(one source of truth), and refuses a name none makes. The built-in checklists name no table or
window of the project's sandbox: they take them as run parameters (issue 22 item 9).
"""

from __future__ import annotations

import gc
import sys
import threading
from importlib import resources
from pathlib import Path

import pytest

from cockpit.checklists.actions import ACTION_NAMES
from cockpit.checklists.checks import known_findings
from cockpit.checklists.format import ActionStep, ChecklistError, CheckStep, Step, parse_checklist
from cockpit.checklists.library import builtin
from cockpit.checklists.params import instantiate, resolve
from cockpit.config import parse_config
from cockpit.errors import CockpitError
from cockpit.probes.finding_names import PROBE_SOURCES, finding_names, names_in

ONE_CHECK = """
id = "mine"
title = "Mine"

[[sections]]
name = "post"

[[sections.steps]]
id = "bloat-ok"
title = "No table past the bloat threshold"
kind = "check"
finding = "{finding}"
"""


def test_every_probe_names_its_findings_with_literals() -> None:
    """The rule finding_names relies on: a name built at run time could not be validated."""
    assert any(item.name == "inventory.py" for item in PROBE_SOURCES)  # the backups pane's probe
    for item in PROBE_SOURCES:
        _, dynamic = names_in(item.read_text(encoding="utf-8"))
        assert not dynamic, f"{item.name} lines {dynamic}: name the finding literally"


def test_the_names_are_read_from_the_code() -> None:
    names = finding_names()
    for expected in (
        "postgres.reachable", "queries.blocking", "bloat.table", "bloat.tables", "bloat.dead_tuples",
        "backup.age", "http.status", "http.latency_p95", "queries.reachable", "bloat.reachable",
    ):  # fmt: skip
        assert expected in names
    source = (
        'def judge():\n    return [Finding("made.up", "s", Severity.OK, "m"), measured("other.one", 1)]\n'
    )
    assert names_in(source) == ({"made.up", "other.one"}, [])
    assert names_in('Finding(name, "s", Severity.OK, "m")') == (set(), [1])
    assert "health" in known_findings() and "checklists" not in known_findings()  # panes with probes


class CyclicWithFinalizer:
    """Garbage only the collector frees, running Python code as it does: where threads switch."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        pass


def test_threads_reading_the_names_at_once_do_not_trip_cpythons_ast_counter() -> None:
    """The Checklists and Secrets panes load the library (and so these names) in thread workers.
    CPython 3.11's AST constructor keeps one recursion counter per interpreter: parses in two
    threads at once, with a collection switching between them, raised SystemError ("AST
    constructor recursion depth mismatch"): it failed every time here before the lock."""
    sources = [item.read_text(encoding="utf-8") for item in PROBE_SOURCES]
    errors: list[str] = []
    switch, threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)  # switch threads at every chance the interpreter has
    gc.set_threshold(50, 5, 5)  # and collect (run the finalizers) often while parsing

    def read() -> None:
        for _ in range(3):
            for _ in range(200):
                CyclicWithFinalizer()
            for source in sources:
                try:
                    names_in(source)
                except SystemError as exc:
                    errors.append(str(exc))
                    return

    try:
        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
        gc.set_threshold(*threshold)
    assert errors == []


def test_validate_refuses_a_finding_no_probe_makes(run_cockpit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    parse_checklist(ONE_CHECK.format(finding="bloat.table"), "mine.toml", known_findings=known_findings())
    with pytest.raises(ChecklistError, match=r"^mine\.toml: step 'bloat-ok', key 'finding': no probe makes"):
        parse_checklist(
            ONE_CHECK.format(finding="bloat.tablez"), "mine.toml", known_findings=known_findings()
        )
    bad = tmp_path / "bad.toml"
    bad.write_text(ONE_CHECK.format(finding="bloat.tablez"))
    done = run_cockpit("checklist", "validate", str(bad))
    assert done.returncode == 1
    assert (
        f"{bad}: step 'bloat-ok', key 'finding': no probe makes a 'bloat.tablez' finding"
        " (did you mean 'bloat.table'?)"
    ) in done.stderr


def steps_of(checklist_id: str) -> dict[str, Step]:
    return {step.id: step for _, step in builtin()[checklist_id].checklist.steps}


def test_the_incident_checks_test_what_their_titles_say() -> None:
    steps = steps_of("incident-response")
    verify = steps["verify"]
    assert isinstance(verify, CheckStep) and "health is green" in verify.title
    assert (verify.finding, verify.max_severity) == ("health", "ok")
    blocking = steps["blocking"]  # not passed while a blocker exists; passed when there is none
    assert isinstance(blocking, CheckStep)
    assert (blocking.finding, blocking.max_severity, blocking.pass_if_absent) == (
        "queries.blocking",
        "ok",
        True,
    )
    assert steps["status-page"].repeat == "15m"


def test_the_weekly_cleanup_archives_first_then_vacuums_then_checks_bloat() -> None:
    checklist = builtin()["weekly-db-cleanup"].checklist
    order = [step.id for _, step in checklist.steps]
    assert order.index("archive") < order.index("vacuum") < order.index("bloat-ok")
    bloat = checklist.step("bloat-ok")
    assert isinstance(bloat, CheckStep)
    assert (bloat.finding, bloat.max_severity, bloat.pass_if_absent) == ("bloat.table", "ok", True)


def test_no_built_in_checklist_names_the_sandbox() -> None:
    """audit_log, user_feedback, products, profiles and the `weekly` window are the sandbox's."""
    folder = resources.files("cockpit.checklists") / "builtin"
    assert any(item.name == "dr-drill.toml" for item in folder.iterdir())
    for item in folder.iterdir():
        text = item.read_text(encoding="utf-8")
        for name in (
            "audit_log",
            "user_feedback",
            "products",
            "profiles",
            'window = "weekly"',
            'window = "monthly"',
        ):
            assert name not in text, f"{item.name} names {name}"


CONFIG = """
[targets.prod]
[[targets.prod.maintenance_windows]]
name = "sunday-night"
weekly = "sun 01:00"

[targets.prod.checklist_params.weekly-db-cleanup]
tables = "public.events, public.sessions"
window = "sunday-night"
"""


def test_a_built_in_checklist_takes_its_tables_and_window_from_the_target() -> None:
    from cockpit.checklists.params import configured

    target = parse_config(CONFIG).target("prod")[1]
    checklist = builtin()["weekly-db-cleanup"].checklist
    values = resolve(checklist, configured(target, checklist))
    concrete = instantiate(checklist, values, target)
    assert concrete.window == "sunday-night"
    vacuums = [s for _, s in concrete.steps if isinstance(s, ActionStep) and s.action == "vacuum_analyze"]
    assert [(s.id, s.title, s.params) for s in vacuums] == [
        ("vacuum-public.events", "VACUUM (ANALYZE) public.events", {"table": "public.events"}),
        ("vacuum-public.sessions", "VACUUM (ANALYZE) public.sessions", {"table": "public.sessions"}),
    ]
    with pytest.raises(
        CockpitError,
        match=r"window: no maintenance window 'weekly' on this target \(configured: sunday-night\)",
    ):
        instantiate(checklist, {**values, "window": "weekly"}, target)
    with pytest.raises(CockpitError, match="this checklist needs tables"):
        resolve(checklist, {})
    with pytest.raises(CockpitError, match="tables: give at least one"):
        instantiate(checklist, {**values, "tables": " , "}, target)


def test_each_and_repeat_are_validated() -> None:
    text = ONE_CHECK.format(finding="bloat.table") + 'each = "tables"\nrepeat = "soon"\n'
    with pytest.raises(ChecklistError, match="key 'repeat'") as caught:
        parse_checklist(text, "mine.toml", known_actions=ACTION_NAMES)
    assert "(and 1 more)" in str(caught.value)  # each names no parameter either
