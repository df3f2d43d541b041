"""What every probe is handed: the target, its thresholds and the session policy."""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.config import Settings, Target, Thresholds
from cockpit.db import SessionPolicy
from cockpit.state import StateStore


@dataclass(frozen=True, slots=True)
class ProbeContext:
    target_name: str
    target: Target
    thresholds: Thresholds
    settings: Settings
    policy: SessionPolicy
    store: StateStore | None = None  # health history; None keeps a probe stateless
