"""Probes: read-only functions that look at one part of a target and return a Snapshot.

Each pane imports its own probe module; ``cockpit.pane_probes`` maps every pane to its
probes (for ``cockpit check``). This package imports none of them, so the first frame pays only
for the pane on screen.
"""

from __future__ import annotations

from cockpit.probes.context import ProbeContext

__all__ = ["ProbeContext"]
