"""SQL in one home: what the cockpit runs against a database is a file in cockpit/db/sql.

A statement that runs past one line or reads the catalog (``pg_*``, ``information_schema``) is
a ``verb_object.sql`` file there, opening with a comment that says why it is written so, and
loaded through ``cockpit.db.sql.load``; ``SET``/``BEGIN``/``SHOW``-style one-liners and
one-line ``psycopg.sql`` compositions may stay inline. Two kinds of SQL stay beside their code:
the state store's (its own database, migrated by ``cockpit.state.MIGRATIONS`` in order) and
the sandbox's (the demo's schema and application traffic, not the cockpit's statements).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from cockpit.db import sql

ROOT = Path(__file__).resolve().parents[2]
COCKPIT = ROOT / "cockpit"
SQL_DIR = COCKPIT / "db" / "sql"
SANDBOX = COCKPIT / "sandbox"

STATEMENT = re.compile(r"^[\s(]*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE|VALUES|TABLE)\b")
CATALOG = re.compile(r"\b(pg_\w+|information_schema)\b")
VERBS = {"read", "list", "count", "resolve", "signal", "flush", "export", "move"}


def _state_tables() -> set[str]:
    """The state store's tables: those its migrations create."""
    text = (COCKPIT / "state.py").read_text(encoding="utf-8")
    return set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", text))


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literals(tree: ast.AST) -> Iterator[tuple[int, int, str]]:
    """Every string literal (f-strings with their holes as ``{}``): first line, last line, text."""
    docstrings = _docstrings(tree)
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(v) for v in node.values)
            text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
            yield node.lineno, node.end_lineno or node.lineno, text
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) not in docstrings and id(node) not in inside_fstrings:
            yield node.lineno, node.end_lineno or node.lineno, node.value


def stray_statements(root: Path) -> list[str]:
    """``file:line`` of each SQL literal under ``root`` that belongs in cockpit/db/sql."""
    state_tables = _state_tables()
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(SANDBOX):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for first, last, text in _literals(tree):
            if not STATEMENT.match(text):
                continue
            catalog = CATALOG.search(text)
            if not (catalog or last > first or "\n" in text.strip()):
                continue
            if not catalog and any(re.search(rf"\b{t}\b", text) for t in state_tables):
                continue  # the state store's own statement
            found.append(f"{path.relative_to(root.parent)}:{first}: {text.strip().splitlines()[0][:60]}")
    return found


def test_no_statement_outside_the_sql_folder() -> None:
    stray = stray_statements(COCKPIT)
    assert not stray, "move these into cockpit/db/sql (verb_object.sql) and load them:\n" + "\n".join(stray)


def test_the_rule_finds_a_stray_statement(tmp_path: Path) -> None:
    """The scan is not vacuous: a catalog one-liner and a multi-line statement are both caught,
    a SET and a one-line composition are not."""
    module = tmp_path / "probe.py"
    module.write_text(
        '"""SELECT in a docstring is prose."""\n'
        'A = "SELECT count(*) FROM pg_stat_activity"\n'
        'B = (\n    "SELECT 1"\n    " FROM t"\n)\n'
        'C = "SET LOCAL statement_timeout = 5"\n'
        'D = "SELECT count(*) FROM {}"\n',
        encoding="utf-8",
    )
    assert [line.split(":")[1] for line in stray_statements(tmp_path)] == ["2", "4"]


def _sql_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


@cache
def _loaded_names() -> frozenset[str]:
    """Every ``….sql`` string literal in the cockpit's code: the files it loads."""
    names: set[str] = set()
    for path in COCKPIT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names.update(text for _first, _last, text in _literals(tree) if re.fullmatch(r"\w+\.sql", text))
    return frozenset(names)


@pytest.mark.parametrize("path", _sql_files(), ids=lambda p: p.name)
def test_each_statement_is_named_explained_and_loaded(path: Path) -> None:
    verb = path.stem.split("_", 1)[0]
    assert verb in VERBS and "_" in path.stem, (
        f"{path.name}: name it verb_object.sql ({', '.join(sorted(VERBS))})"
    )
    assert path.read_text(encoding="utf-8").startswith("-- "), (
        f"{path.name}: open with a -- comment saying why"
    )
    assert path.name in _loaded_names(), f"{path.name}: no code loads it (a dead statement)"


def test_every_name_loaded_is_a_file() -> None:
    files = {p.name for p in _sql_files()}
    missing = sorted(_loaded_names() - files - {"schema.sql"})  # the sandbox's schema, in its package
    assert not missing, f"loaded but not in cockpit/db/sql: {missing}"
    assert sql.load("read_activity.sql") is sql.load("read_activity.sql")  # read once
