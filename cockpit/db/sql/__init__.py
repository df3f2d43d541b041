"""Every statement the cockpit runs against a database, one file each.

``ls cockpit/db/sql`` is the list of what the cockpit runs against production: each file is
readable by a DBA and pasteable into psql. Code loads a statement by its file name.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of the statement in ``name`` (``read_activity.sql``), read from this folder once."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
