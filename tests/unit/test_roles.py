"""The README's "Database roles" section is the test estate's SQL (tests/estate.py), word for
word (the roles at work: tests/integration/test_roles.py)."""

from __future__ import annotations

from pathlib import Path

from tests.estate import GRANTS_IN_DATABASE, ROLE_SQL

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_grants_exactly_the_roles_the_tests_use() -> None:
    text = " ".join(README.read_text().split())
    for statement in [*ROLE_SQL.values(), *GRANTS_IN_DATABASE]:
        assert statement.format(password="'...'") + ";" in text
