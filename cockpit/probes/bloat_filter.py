"""The Bloat pane's filter line, e.g. ``schema:public min:10MB audit``.

``schema:`` and ``min:`` go into the estimate's query (the server skips the rest); other words
must appear in the relation's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.probes.query_filter import FilterError
from cockpit.units import parse_size

# The syntax in one paragraph, for the help (`?` in the Bloat pane).
HELP = (
    "`schema:NAME` and `min:10MB` (B, kB, MB, GB, TB) go into the estimate's query; any other "
    "word must appear in the relation's name (any case). Example: `schema:public min:10MB audit`; "
    "enter keeps it, esc clears it."
)


@dataclass(frozen=True, slots=True)
class BloatFilter:
    schema: str | None = None
    min_bytes: int = 0
    words: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.schema or self.min_bytes or self.words)

    def describe(self) -> str:
        parts = [f"schema:{self.schema}"] if self.schema else []
        parts += [f"min:{self.min_bytes // 1024}kB"] if self.min_bytes else []
        return " ".join(parts + list(self.words))

    def keeps(self, qualified_name: str) -> bool:
        return all(word in qualified_name.lower() for word in self.words)


def parse_bloat_filter(text: str) -> BloatFilter:
    schema, minimum, words = None, 0, []
    for token in text.split():
        key, colon, value = token.partition(":")
        if colon and key.lower() in ("schema", "min"):
            if not value:
                raise FilterError(f"{key}: needs a value, e.g. schema:public or min:10MB")
            if key.lower() == "schema":
                schema = value
            else:
                try:
                    minimum = parse_size(value)
                except ValueError as e:
                    raise FilterError(f"min: {e}") from None
        elif colon and key.isalpha() and value:
            raise FilterError(f"unknown filter {key}: (use schema:, min: or plain words)")
        else:
            words.append(token.lower())
    return BloatFilter(schema, minimum, tuple(words))
