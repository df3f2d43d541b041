"""Every finding name a probe can emit, read from the probes' own source: one source of truth.

A checklist's check step names a finding (``bloat.table``); `cockpit checklist validate` must
refuse one no probe makes (``bloat.tablez``) rather than let the run fail at 3 a.m. Copying the
names into a list here would drift the day a probe gains a finding, so they are read from the
code: the first argument of every ``Finding(...)`` and ``measured(...)`` call in
``cockpit/probes/*.py``, and ``{check}.reachable`` for every ``read_database(..., "check", ...)``
(the finding an unreachable database makes). The rule this relies on, kept by a unit test: a
probe names its findings with string literals.
"""

from __future__ import annotations

import ast
import threading
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

_MAKERS = ("Finding", "measured")  # called with the finding's name first
_READ_DATABASE = "read_database"  # read_database(context, database, check, read)
_CHECK_ARG = 2
# One parse at a time in the process: CPython 3.11's AST constructor counts its recursion depth
# per interpreter, not per thread, so two threads parsing at once (the Checklists and Secrets
# panes load the library in thread workers) can fail with "AST constructor recursion depth
# mismatch" (python/cpython#106905).
_PARSING = threading.Lock()


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reachable_of_caller(node: ast.expr) -> bool:
    """``f"{check}.reachable"`` inside read_database itself: its callers name the check."""
    return isinstance(node, ast.JoinedStr) and _literal(node.values[-1]) == ".reachable"


def names_in(source: str) -> tuple[set[str], list[int]]:
    """The finding names ``source`` emits, and the lines of the calls that name one otherwise
    than with a literal (the unit test lists them; validate cannot know those)."""
    names: set[str] = set()
    dynamic: list[int] = []
    with _PARSING:
        tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _called(node)
        if called in _MAKERS and node.args:
            if _reachable_of_caller(node.args[0]):
                continue
            name = _literal(node.args[0])
        elif called == _READ_DATABASE:
            given = node.args[_CHECK_ARG] if len(node.args) > _CHECK_ARG else None
            given = given or next((k.value for k in node.keywords if k.arg == "check"), None)
            check = _literal(given)
            name = f"{check}.reachable" if check else None
        else:
            continue
        if name is None:
            dynamic.append(node.lineno)
        else:
            names.add(name)
    return names, dynamic


def _probe_sources() -> list[Traversable]:
    """The modules that emit findings: every probe, and the backup inventory (the Backups pane's probe)."""
    probes = [item for item in resources.files("cockpit.probes").iterdir() if item.name.endswith(".py")]
    return [*probes, resources.files("cockpit.backups").joinpath("inventory.py")]


PROBE_SOURCES = _probe_sources()


@cache
def finding_names() -> frozenset[str]:
    """Every finding name the probes emit (``postgres.reachable``, ``bloat.table``, ...)."""
    found: set[str] = set()
    for item in PROBE_SOURCES:
        found |= names_in(item.read_text(encoding="utf-8"))[0]
    return frozenset(found)
