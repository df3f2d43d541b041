"""Every checklist the cockpit knows: the built-in ones (the runbooks' procedures) and yours.

Built-ins ship in ``cockpit/checklists/``; yours live in ``settings.checklists_dir`` (default the
config dir's ``checklists/``), one TOML file each, and replace a built-in of the same id. A broken
file does not hide the others: it is listed with its error (file, step and key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cockpit.checklists.actions import ACTION_NAMES
from cockpit.checklists.checks import known_findings
from cockpit.checklists.format import Checklist, ChecklistError, load_checklist, parse_checklist
from cockpit.config import Settings
from cockpit.paths import config_dir


@dataclass(frozen=True, slots=True)
class Entry:
    checklist: Checklist
    source: str  # "built-in" or the file's path


@dataclass(frozen=True, slots=True)
class Library:
    entries: dict[str, Entry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, checklist_id: str) -> Checklist:
        entry = self.entries.get(checklist_id)
        if entry is None:
            known = ", ".join(sorted(self.entries)) or "none"
            raise ChecklistError(f"no checklist {checklist_id!r} (known: {known})")
        return entry.checklist


def user_dir(settings: Settings) -> Path:
    return Path(settings.checklists_dir) if settings.checklists_dir else config_dir() / "checklists"


def builtin() -> dict[str, Entry]:
    found = {}
    folder = resources.files("cockpit.checklists") / "builtin"
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".toml"):
            checklist = parse_checklist(
                item.read_text(encoding="utf-8"), f"built-in {item.name}", known_actions=ACTION_NAMES,
                known_findings=known_findings(),
            )  # fmt: skip
            found[checklist.id] = Entry(checklist, "built-in")
    return found


def load_library(settings: Settings) -> Library:
    entries = builtin()
    errors = []
    folder = user_dir(settings)
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            try:
                checklist = load_checklist(path, known_actions=ACTION_NAMES, known_findings=known_findings())
            except ChecklistError as exc:
                errors.append(str(exc))
                continue
            entries[checklist.id] = Entry(checklist, str(path))
    return Library(entries, errors)


def validate(path: Path) -> Checklist:
    """``cockpit checklist validate FILE``: the checklist, or a ChecklistError naming file, step, key."""
    return load_checklist(path, known_actions=ACTION_NAMES, known_findings=known_findings())
