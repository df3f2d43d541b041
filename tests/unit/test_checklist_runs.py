"""Checklist runs without a server: a shared journal that cannot be reached says so in one line
(the runs themselves are in tests/integration/test_checklist_runs.py)."""

from __future__ import annotations

import pytest

from cockpit.checklists.journal import Journal
from cockpit.errors import CockpitError


def test_an_unreachable_shared_journal_says_so() -> None:
    with pytest.raises(CockpitError, match=r"^state.url: cannot reach the shared journal: "):
        Journal.shared("postgresql://nobody@127.0.0.1:1/none")
