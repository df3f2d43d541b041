"""The Queries pane's filter: one line the operator types, e.g. ``user:app db:shop min:30s vacuum``.

One syntax for statements and sessions, so a group cancel acts on exactly the sessions the
filter shows. ``user:`` and ``db:`` match exactly; ``min:`` keeps sessions whose transaction
(or query) is at least that old and statements whose mean is at least that long (``min:100ms``,
``min:30s``); any other word
must appear in the query text (or the application name), case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.errors import CockpitError
from cockpit.probes.queries import Session, Statement
from cockpit.units import parse_duration

KEYS = ("user", "db", "min")

# The syntax in one paragraph, for the help (`?` in the Queries pane).
HELP = (
    "`user:NAME` and `db:NAME` match exactly; `min:30s` keeps sessions whose transaction (or "
    "query) is at least that old, and statements whose mean is at least that long (`min:100ms`); "
    "any other word must appear in the query text or the application name (any case). "
    "Example: `user:app db:shop min:30s vacuum`; enter keeps it, esc clears it."
)


class FilterError(CockpitError):
    """A filter the operator typed that cannot be understood; the message says what to type."""


@dataclass(frozen=True, slots=True)
class QueryFilter:
    user: str | None = None
    database: str | None = None
    min_seconds: float | None = None
    words: tuple[str, ...] = ()
    min_text: str = ""  # min: as typed ("100ms"), so the summary names the filter as typed

    @property
    def active(self) -> bool:
        return bool(self.user or self.database or self.min_seconds is not None or self.words)

    def describe(self) -> str:
        parts = [f"user:{self.user}"] if self.user else []
        parts += [f"db:{self.database}"] if self.database else []
        if self.min_seconds is not None:
            parts.append(f"min:{self.min_text or f'{self.min_seconds:g}s'}")
        return " ".join(parts + list(self.words))

    def _has_words(self, *texts: str) -> bool:
        haystack = " ".join(texts).lower()
        return all(word in haystack for word in self.words)

    def keeps_session(self, session: Session) -> bool:
        if self.user is not None and session.user != self.user:
            return False
        if self.database is not None and session.database != self.database:
            return False
        if self.min_seconds is not None:
            age = session.xact_age_s if session.xact_age_s is not None else session.query_age_s
            if age is None or age < self.min_seconds:
                return False
        return self._has_words(session.query, session.application)

    def keeps_statement(self, statement: Statement) -> bool:
        if self.user is not None and statement.username != self.user:
            return False
        if self.database is not None and statement.database != self.database:
            return False
        if self.min_seconds is not None and statement.mean_ms < self.min_seconds * 1000:
            return False
        return self._has_words(statement.text)


def parse_filter(text: str) -> QueryFilter:
    """Parse the typed filter; an unknown ``key:`` or a bad duration is a one-line error."""
    values: dict[str, str] = {}
    words: list[str] = []
    for token in text.split():
        key, colon, value = token.partition(":")
        if colon and key.lower() in KEYS:
            if not value:
                raise FilterError(f"{key}: needs a value, e.g. {key}:app")
            values[key.lower()] = value
        elif colon and key.isalpha() and value and not value.startswith(":"):
            # "foo:bar" with an unknown key is more likely a typo than query text.
            raise FilterError(f"unknown filter {key}: (use user:, db:, min: or plain words)")
        else:
            words.append(token.lower())
    minimum = None
    if "min" in values:
        try:
            minimum = parse_duration(values["min"]).total_seconds()
        except ValueError as exc:
            raise FilterError(f"min: {exc}") from None
    return QueryFilter(values.get("user"), values.get("db"), minimum, tuple(words), values.get("min", ""))
