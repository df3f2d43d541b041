"""Every statement the cockpit runs against a database, one file each.

``ls cockpit/db/sql`` is the list of what the cockpit runs against production: each file is
readable by a DBA and pasteable into psql. A statement that reads the catalog or runs past one
line lives here as ``verb_object.sql``, opening with a ``--`` comment on why it is written so;
parameters are ``%(name)s``, ``{name}`` an identifier composed with ``psycopg.sql``, and a
server-version variant is a file of its own (``read_table_maintainer_17.sql``). Code loads a
statement by its file name. The state store's SQL (the cockpit's own database) and the
sandbox's stay in their modules; tests/unit/test_sql_home.py holds the rule.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of the statement in ``name`` (``read_activity.sql``), read from this folder once."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
