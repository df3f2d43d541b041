"""Runbooks as data: the TOML checklist format, parsed strictly, with errors naming file, step and key.

A checklist has an id, a title, a kind, an optional maintenance window (the name of one of the
target's ``maintenance_windows``), run parameters asked at start (an incident's severity), and
sections (pre / during / post, or incident phases) of steps. A step is one of (a struct each,
the file's ``kind`` its tag, ``manual`` when absent; a key of another kind is an error):

- ``manual``: the operator confirms, with a required note (``note_required``) or ``evidence``;
- ``check``: a live probe with a pass condition: a finding of ``cockpit check`` (``finding``, a
  finding's name or a whole pane's, optionally ``subject``, ``max_severity``, ``max_value``,
  ``pass_if_absent`` for a finding made only for a problem) or one read-only SQL value (``sql``,
  one read statement that checklist_sql accepts, ``max_value`` / ``min_value``), optionally
  waiting (``wait``) every ``interval`` until ``timeout``;
- ``action``: a guarded action of the panes (``action`` and its ``params``), ``window_only`` to
  refuse outside a maintenance window;
- ``command``: a shell command shown for copying, run only where config allows it.

Any step may carry ``rollback`` (what undoes it, shown when it fails), a ``deadline`` relative to
the run's start, ``when`` (a run parameter's value among a list), ``repeat`` (it comes back that
long after each time it is done: "update the status page every 15 minutes") and ``each`` (a list
parameter: the step once per item; see ``checklist_params``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import msgspec

from cockpit.checklists.check_sql import refusal as sql_refusal
from cockpit.errors import CockpitError
from cockpit.model import Severity
from cockpit.units import parse_duration

KINDS = ("maintenance", "incident", "rotation", "rollback", "drill", "deployment", "compliance", "other")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ChecklistError(CockpitError):
    """A checklist file that cannot be used; the message names the file, the step and the key."""


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    pass


class When(_Table, frozen=True):
    """Run the step only when the run parameter ``param`` is one of ``among``."""

    param: str
    among: list[str]


class Param(_Table, frozen=True):
    """A value asked when a run starts (an incident's severity), recorded in the journal."""

    name: str
    prompt: str = ""
    choices: list[str] = []
    default: str | None = None


class _Step(_Table, frozen=True, kw_only=True, tag_field="kind"):
    """What a step of any kind may say; ``kind`` in the file picks the type (manual when absent)."""

    id: str
    title: str
    detail: str = ""
    deadline: str | None = None
    when: When | None = None
    each: str | None = None  # a list run parameter: the step once per item, ``{item}`` in it
    repeat: str | None = None  # comes back this long after each time it is done ("15m")
    rollback: str = ""

    @property
    def kind(self) -> str:
        """The kind the file names, for showing it; code branches on the step's type."""
        return str(self.__struct_config__.tag)

    @property
    def deadline_s(self) -> float | None:
        return parse_duration(self.deadline).total_seconds() if self.deadline else None


class ManualStep(_Step, frozen=True, kw_only=True, tag="manual"):
    """The operator confirms it, with a note when ``note_required`` (``evidence`` says of what)."""

    note_required: bool = False
    evidence: str = ""


class CheckStep(_Step, frozen=True, kw_only=True, tag="check"):
    """A live probe with a pass condition: a ``finding`` of ``cockpit check`` or one ``sql`` value
    (exactly one of them), optionally waited for (``wait``) every ``interval`` until ``timeout``."""

    finding: str | None = None
    subject: str | None = None
    max_severity: Literal["ok", "warn", "crit"] = "ok"
    pass_if_absent: bool = False  # the finding is made only for a problem: none means none
    sql: str | None = None
    database: str | None = None
    max_value: float | None = None
    min_value: float | None = None
    wait: bool = False
    interval: str = "10s"
    timeout: str = "10m"

    @property
    def worst_passing(self) -> Severity:
        """The worst severity a matching finding may have for the check to pass."""
        return Severity[self.max_severity.upper()]


class ActionStep(_Step, frozen=True, kw_only=True, tag="action"):
    """A guarded action of the panes, by name, with its ``params``."""

    action: str
    params: dict[str, Any] = {}
    window_only: bool = False  # refused outside a maintenance window, whatever the target says


class CommandStep(_Step, frozen=True, kw_only=True, tag="command"):
    """A shell command shown for copying, run only where config allows it."""

    command: str


Step = ManualStep | CheckStep | ActionStep | CommandStep
_S = TypeVar("_S", ManualStep, CheckStep, ActionStep, CommandStep)
STEP_TYPES: tuple[type[_Step], ...] = (ManualStep, CheckStep, ActionStep, CommandStep)


class Section(_Table, frozen=True):
    name: str
    title: str = ""
    steps: list[Step] = []


class Checklist(_Table, frozen=True):
    id: str
    title: str
    kind: str = "other"
    description: str = ""
    window: str | None = None
    params: list[Param] = []
    sections: list[Section] = []

    @property
    def steps(self) -> list[tuple[Section, Step]]:
        return [(section, step) for section in self.sections for step in section.steps]

    @overload
    def step(self, step_id: str) -> Step: ...
    @overload
    def step(self, step_id: str, kind: type[_S]) -> _S: ...
    def step(self, step_id: str, kind: type[_Step] | None = None) -> _Step:
        """The step of that id; with ``kind``, a TypeError unless it is a step of that kind."""
        for _, step in self.steps:
            if step.id != step_id:
                continue
            if kind is not None and not isinstance(step, kind):
                raise TypeError(
                    f"step {step_id!r} is a {step.kind} step, not a {kind.__struct_config__.tag} one"
                )
            return step
        raise KeyError(step_id)


def fill(text: str, params: dict[str, str]) -> str:
    """``{name}`` in a title or command replaced by the run's parameter of that name."""
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


def parse_checklist(
    text: str,
    source: str,
    *,
    known_actions: frozenset[str] | None = None,
    known_findings: frozenset[str] | None = None,
) -> Checklist:
    """Parse and validate one checklist; a ChecklistError names ``source``, the step and the key."""
    try:
        raw = tomllib.loads(text)
        checklist = msgspec.convert(_manual_by_default(raw), Checklist)
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistError(f"{source}: not valid TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise ChecklistError(f"{source}: {_where(raw, str(exc))}") from None
    except RecursionError:  # `a = [[[[...`: tomllib and msgspec recurse per level
        raise ChecklistError(f"{source}: arrays or tables nested too deeply to read") from None
    problems = _problems(checklist, known_actions, known_findings)
    if problems:
        more = f" (and {len(problems) - 1} more)" if problems[1:] else ""
        raise ChecklistError(f"{source}: {problems[0]}{more}")
    return checklist


def recorded(definition: dict[str, Any]) -> Checklist:
    """A run's checklist from the definition its journal holds. A step's keys that its kind does
    not have are dropped: a definition may carry every kind's keys, each at its default."""
    sections = []
    for section in definition.get("sections", []):
        steps = [_own_keys(step) for step in section.get("steps", [])]
        sections.append({**section, "steps": steps})
    return msgspec.convert({**definition, "sections": sections}, Checklist)


def _own_keys(step: dict[str, Any]) -> dict[str, Any]:
    """The step's keys that its kind has, and its kind."""
    kind = step.get("kind", "manual")
    own = next((t for t in STEP_TYPES if t.__struct_config__.tag == kind), None)
    if own is None:
        return step  # msgspec names the kind it does not know
    return {"kind": kind, **{k: v for k, v in step.items() if k in own.__struct_fields__}}


def _manual_by_default(raw: dict[str, Any]) -> dict[str, Any]:
    """A step table without ``kind`` is a manual step (the tag msgspec needs, made explicit)."""
    sections = raw.get("sections")
    for section in sections if isinstance(sections, list) else []:
        steps = section.get("steps") if isinstance(section, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict):
                step.setdefault("kind", "manual")
    return raw


def load_checklist(
    path: Path,
    *,
    known_actions: frozenset[str] | None = None,
    known_findings: frozenset[str] | None = None,
) -> Checklist:
    from cockpit.config import decode_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read it: {exc.strerror}") from None
    text = decode_text(data, str(path), ChecklistError)
    return parse_checklist(text, str(path), known_actions=known_actions, known_findings=known_findings)


def _where(raw: dict[str, Any], message: str) -> str:
    """msgspec says ``... - at `$.sections[1].steps[2].kind```: name the step by its id instead."""
    match = re.search(r"at `\$((?:\.\w+|\[\d+\])*)`", message)
    what = message[: match.start()].rstrip(" -") if match else message  # no path: the top table
    node: Any = raw
    parts = re.findall(r"\.(\w+)|\[(\d+)\]", match.group(1)) if match else []
    step_id = None
    key = ""
    for name, index in parts:
        try:
            node = node[int(index)] if index else node[name]
        except (KeyError, IndexError, TypeError):
            break
        if index and key == "steps" and isinstance(node, dict) and "id" in node:
            step_id = node["id"]
        key = name or key
    unknown = re.search(r"unknown field `(\w+)`", what)
    if unknown:  # the path points at the table; the key is the stray one
        key, what = unknown.group(1), _stray(unknown.group(1), node)
    missing = re.search(r"missing required field `(\w+)`", what)
    if missing:  # the path points at the table; the key is the one it lacks
        key = missing.group(1)
        what = _NEEDED.get(key, "required, and missing")
    tag = re.fullmatch(r"Invalid value (.*)", what)
    if tag and key == "kind":  # a step's kind: the tag of its type
        kinds = ", ".join(str(t.__struct_config__.tag) for t in STEP_TYPES)
        what = f"{tag.group(1)} is not one of {kinds}"
    place = f"step {step_id!r}, " if step_id else ""
    return f"{place}key {key!r}: {what}" if key else f"{place}{what}"


_NEEDED = {
    "action": "an action step names the action to run",
    "command": "a command step needs the command",
}


def _stray(key: str, node: Any) -> str:
    """What to say of a key its table does not have: another kind of step's, or a typo."""
    kind = node.get("kind") if isinstance(node, dict) else None
    others = [t.__struct_config__.tag for t in STEP_TYPES if key in t.__struct_fields__]
    if kind is not None and others:
        return f"a {' or '.join(map(str, others))} step's key, not a {kind} step's (kind = \"{others[0]}\"?)"
    return "unknown key (a typo?)"


def _problems(
    checklist: Checklist, known_actions: frozenset[str] | None, known_findings: frozenset[str] | None
) -> list[str]:
    problems = []
    if not _ID.match(checklist.id):
        problems.append(f"key 'id': {checklist.id!r} must be lower-case letters, digits, - and _")
    if checklist.kind not in KINDS:
        problems.append(f"key 'kind': {checklist.kind!r} is not one of {', '.join(KINDS)}")
    if not checklist.steps:
        problems.append("no steps: add [[sections]] with [[sections.steps]]")
    params = {p.name: p for p in checklist.params}
    seen: set[str] = set()
    for _, step in checklist.steps:
        where = f"step {step.id!r}"
        if step.id in seen:
            problems.append(f"{where}: the id is used twice")
        seen.add(step.id)
        problems += [f"{where}, {p}" for p in _duration_problems(step)]
        if step.when is not None:
            param = params.get(step.when.param)
            if param is None:
                problems.append(f"{where}, key 'when': no run parameter {step.when.param!r} (add [[params]])")
            elif param.choices and set(step.when.among) - set(param.choices):
                stray = sorted(set(step.when.among) - set(param.choices))
                problems.append(f"{where}, key 'when': {stray} not among {step.when.param}'s choices")
        if step.each is not None and step.each not in params:
            problems.append(f"{where}, key 'each': no run parameter {step.each!r} (add [[params]])")
        problems += [f"{where}, {p}" for p in _kind_problems(step, known_actions, known_findings)]
    return problems


def _duration_problems(step: Step) -> list[str]:
    problems = []
    durations = {"deadline": step.deadline}
    if isinstance(step, CheckStep):
        durations.update(interval=step.interval, timeout=step.timeout)
    durations["repeat"] = step.repeat
    for key, value in durations.items():
        if value is not None:
            try:
                length = parse_duration(value)
            except ValueError as exc:
                problems.append(f"key {key!r}: {exc}")
                continue
            if key == "interval" and not length:  # 0s: the check, journaled, as fast as it runs
                problems.append("key 'interval': must be longer than 0s")
    return problems


def _kind_problems(
    step: Step, known_actions: frozenset[str] | None, known_findings: frozenset[str] | None
) -> list[str]:
    match step:
        case CheckStep():
            return _check_problems(step, known_findings)
        case ActionStep():
            if not step.action:
                return [f"key 'action': {_NEEDED['action']}"]
            if known_actions is not None and step.action not in known_actions:
                known = ", ".join(sorted(known_actions))
                return [f"key 'action': unknown action {step.action!r} (known: {known})"]
        case CommandStep() if not step.command:
            return [f"key 'command': {_NEEDED['command']}"]
    return []


def _check_problems(step: CheckStep, known_findings: frozenset[str] | None) -> list[str]:
    if (step.finding is None) == (step.sql is None):
        return ["key 'finding' or 'sql': a check step needs exactly one of them"]
    if step.finding is not None and known_findings is not None and step.finding not in known_findings:
        close = difflib.get_close_matches(step.finding, known_findings, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see `cockpit check --json` for the names"
        return [f"key 'finding': no probe makes a {step.finding!r} finding ({hint})"]
    if step.sql is not None and step.max_value is None and step.min_value is None:
        return ["key 'max_value': an sql check needs max_value or min_value"]
    if step.sql is not None and (refused := sql_refusal(step.sql)):
        return [f"key 'sql': {refused}"]
    return []
