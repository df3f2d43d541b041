"""A table of findings, updated in place (no rebuild, no flicker, little output over SSH)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from cockpit.model import Finding, Severity

SEVERITY_STYLE = {
    Severity.OK: "green",
    Severity.WARN: "bold yellow",
    Severity.CRIT: "bold red",
    Severity.UNKNOWN: "bold magenta",
}


def severity_text(severity: Severity) -> Text:
    """The severity as a word (so NO_COLOR and 16-colour terminals still read it)."""
    return Text(severity.label.upper(), style=SEVERITY_STYLE[severity])


class FindingsTable(DataTable[Text | str]):
    """Severity, check, subject, message; the worst first."""

    COLUMNS = ("severity", "check", "subject", "message")

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for column in self.COLUMNS:
            self.add_column(column.upper(), key=column)

    def show(self, findings: Sequence[Finding]) -> None:
        """Replace the content, touching only the cells that changed."""
        ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.subject))
        wanted = {f"{f.check}\x00{f.subject}": f for f in ordered}
        for row_key in [k for k in list(self.rows) if k.value not in wanted]:
            self.remove_row(row_key)
        existing = {k.value for k in self.rows}
        moved = False
        for key, finding in wanted.items():
            cells: tuple[Text | str, ...] = (
                severity_text(finding.severity),
                finding.check,
                finding.subject,
                finding.message,
            )
            if key in existing:
                for column, value in zip(self.COLUMNS, cells, strict=True):
                    if self.get_cell(key, column) != value:
                        self.update_cell(key, column, value)
                        moved = moved or column == "severity"
            else:
                self.add_row(*cells, key=key)
                moved = True
        if moved:  # re-sorting repaints the whole table: only when the order can change
            self.sort("severity", "check", "subject", key=_row_order)


_RANK_BY_LABEL = {s.label.upper(): s.rank for s in Severity}


def _row_order(row: tuple[Text | str, ...]) -> tuple[int, str, str]:
    severity, check, subject = row
    return (-_RANK_BY_LABEL.get(str(severity), 0), str(check), str(subject))
