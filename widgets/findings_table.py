"""A table of findings, updated in place (no rebuild, no flicker, little output over SSH)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from cockpit.model import Finding, Severity
from widgets.pane_table import PaneTable

SEVERITY_STYLE = {
    Severity.OK: "green",
    Severity.WARN: "bold yellow",
    Severity.CRIT: "bold red",
    Severity.UNKNOWN: "bold magenta",
}


def severity_text(severity: Severity) -> Text:
    """The severity as a word (so NO_COLOR and 16-colour terminals still read it)."""
    return Text(severity.label.upper(), style=SEVERITY_STYLE[severity])


class FindingsTable(PaneTable):
    """Severity, check, subject, message; the worst first."""

    NARROW = ("severity", "check", "subject", "message")

    def show(self, findings: Sequence[Finding]) -> None:
        """Replace the content, touching only the cells that changed."""
        ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.subject))
        self.put_rows(
            {
                f"{f.check}\x00{f.subject}": {
                    "severity": severity_text(f.severity),
                    "check": f.check,
                    "subject": f.subject,
                    "message": f.message,
                }
                for f in ordered
            }
        )
