"""Keep secret values out of everything the cockpit writes: screen, logs, audit, exports.

Every value read from the keyring is remembered here (in memory only), and ``redact`` replaces
it wherever it appears. Parameters whose names look secret are masked whatever their value.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "********"
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[_-]?key|credential|private", re.I)
_known: set[str] = set()
_lock = threading.Lock()


def remember(value: str) -> None:
    """Register a secret value so that ``redact`` hides it from then on."""
    if len(value) >= 4:  # shorter values would mask innocent text everywhere
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    """``text`` with every remembered secret value replaced by a mask."""
    with _lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


_SQL_PASSWORD = re.compile(
    r"(\bPASSWORD\s+)(?:E'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$(\w*)\$.*?\$\2\$)", re.I | re.S
)


def redact_sql(text: str) -> str:
    """SQL text from the server (pg_stat_statements keeps ``CREATE ROLE x PASSWORD 'p'`` verbatim,
    pg_stat_activity shows it while it runs): password literals and known secrets masked."""
    return redact(_SQL_PASSWORD.sub(lambda m: f"{m.group(1)}'{MASK}'", text))


def redact_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of action parameters fit for the audit trail: secret-looking keys masked."""
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if _SECRET_KEY.search(key) and not (isinstance(value, str) and value.startswith("keyring:")):
            clean[key] = MASK
        elif isinstance(value, Mapping):
            clean[key] = redact_params(value)
        elif isinstance(value, str):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean
