"""The shapes every probe returns: findings with a severity, gathered in a snapshot.

The same Snapshot feeds a TUI pane and the headless ``cockpit check``, so both always agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` gives the worst; values follow the Nagios exit codes' order."""

    OK = 0
    WARN = 1
    CRIT = 2
    UNKNOWN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def exit_code(self) -> int:
        """Nagios plugin convention: 0 ok, 1 warn, 2 crit, 3 unknown."""
        return int(self.value)

    @property
    def rank(self) -> int:
        """How bad, for sorting: CRIT > UNKNOWN > WARN > OK (an unknown is worse than a warning,
        a confirmed failure worse than an unknown)."""
        return _RANK[self]

    @classmethod
    def worst(cls, severities: Iterable[Severity]) -> Severity:
        """The most severe of ``severities`` by ``rank``; OK when there are none."""
        return max(severities, key=lambda s: s.rank, default=cls.OK)


_RANK = {Severity.OK: 0, Severity.WARN: 1, Severity.UNKNOWN: 2, Severity.CRIT: 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """One verdict about one subject: what was checked, against what, and what to do."""

    check: str
    subject: str
    severity: Severity
    message: str
    hint: str = ""
    value: Any = None
    threshold: Any = None
    # Both thresholds of a measured value, for monitoring systems' perfdata (`cockpit check`);
    # None where a finding has no such number.
    warn: float | None = None
    crit: float | None = None

    def as_json(self, pane: str) -> dict[str, Any]:
        return {
            "pane": pane,
            "check": self.check,
            "subject": self.subject,
            "severity": self.severity.label,
            "message": self.message,
            "hint": self.hint,
            "value": self.value,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one probe saw at one instant: typed rows, findings, timing and any error."""

    pane: str
    rows: Sequence[Any] = ()
    findings: Sequence[Finding] = ()
    collected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration: float = 0.0
    error: str | None = None

    @property
    def severity(self) -> Severity:
        return Severity.worst(f.severity for f in self.findings)


def level(value: float, warn: float, crit: float | None = None) -> Severity:
    """CRIT above ``crit``, WARN above ``warn``, else OK (thresholds are exclusive)."""
    if crit is not None and value > crit:
        return Severity.CRIT
    return Severity.WARN if value > warn else Severity.OK


def measured(
    check: str,
    subject: str,
    value: float,
    message: str,
    *,
    warn: float,
    crit: float | None = None,
    hint: str = "",
) -> Finding:
    """A finding about a number against its thresholds; ``threshold`` is the one crossed."""
    severity = level(value, warn, crit)
    crossed = crit if severity is Severity.CRIT else warn
    return Finding(
        check, subject, severity, message, hint=hint, value=round(value, 2), threshold=crossed,
        warn=warn, crit=crit,
    )  # fmt: skip
