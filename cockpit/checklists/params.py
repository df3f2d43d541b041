"""Run parameters: what a run works on, filled into the checklist before the run starts.

A built-in checklist names no table and no window of its own (the project's sandbox is not your
estate): it declares ``[[params]]`` (an incident's severity, the tables to vacuum, the
maintenance window) and uses them as ``{name}`` in titles, commands, ``subject``, ``window``
and action ``params``. A value comes, in this order, from the caller (the Secrets pane gives the
secret), from the target's config (``[targets.X.checklist_params.<checklist id>]``: set once per
estate, not asked again), from the operator when the run starts, or from the param's default.

``instantiate`` turns the checklist into the concrete one the run records as its definition:
placeholders filled, and a step with ``each = "tables"`` repeated for every comma-separated
item (``{item}`` in it is the one item), so the journal, the screens and the report all show
exactly what was run on what.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cockpit.checklists.format import Checklist, Step, fill
from cockpit.config import Target
from cockpit.errors import CockpitError


def configured(target: Target | None, checklist: Checklist) -> dict[str, str]:
    """The values the target's config gives this checklist's parameters."""
    if target is None:
        return {}
    given = target.checklist_params.get(checklist.id, {})
    return {p.name: str(given[p.name]) for p in checklist.params if p.name in given}


def resolve(checklist: Checklist, given: dict[str, str]) -> dict[str, str]:
    """Every parameter's value (given, else its default); a CockpitError names the one missing
    or not among its choices."""
    values = dict(given)
    for param in checklist.params:
        value = values.get(param.name, param.default)
        if value is None:
            raise CockpitError(f"this checklist needs {param.name}: {param.prompt or 'give it'}")
        if param.choices and value not in param.choices:
            raise CockpitError(f"{param.name} must be one of {', '.join(param.choices)}, not {value!r}")
        values[param.name] = value
    return values


def applies(step: Step, params: dict[str, str]) -> bool:
    """Whether the step is this run's: no ``when``, or its parameter among the values."""
    return step.when is None or params.get(step.when.param) in step.when.among


def items(value: str) -> list[str]:
    """A list parameter's items: comma-separated, blanks dropped (``public.a, public.b``)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _filled(value: Any, params: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, params)
    if isinstance(value, list):
        return [_filled(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, params) for k, v in value.items()}
    return value


def _concrete(step: Step, params: dict[str, str]) -> list[Step]:
    if step.each is None:
        return [msgspec.convert(_filled(msgspec.to_builtins(step), params), type(step))]
    listed = items(params.get(step.each, ""))
    if not listed:
        raise CockpitError(f"{step.each}: give at least one (comma-separated) for step {step.id!r}")
    steps = []
    for item in listed:
        raw = _filled(msgspec.to_builtins(step), {**params, "item": item})
        raw.update(id=f"{step.id}-{item}", each=None)
        steps.append(msgspec.convert(raw, type(step)))
    return steps


def instantiate(checklist: Checklist, params: dict[str, str], target: Target | None = None) -> Checklist:
    """The checklist as this run does it: placeholders filled, ``each`` steps expanded. With the
    target, a window the checklist names must be one of the target's (or the run could never
    find it, and would say "no maintenance window" under a header that says otherwise)."""
    sections = [
        msgspec.structs.replace(section, steps=[s for step in section.steps for s in _concrete(step, params)])
        for section in checklist.sections
    ]
    window = fill(checklist.window, params) if checklist.window is not None else None
    if window and target is not None and window not in {w.name for w in target.maintenance_windows}:
        known = ", ".join(w.name for w in target.maintenance_windows) or "none"
        raise CockpitError(
            f"window: no maintenance window {window!r} on this target (configured: {known});"
            f" set [targets.<name>.checklist_params.{checklist.id}] window = one of them"
        )
    return msgspec.structs.replace(checklist, sections=sections, window=window)
