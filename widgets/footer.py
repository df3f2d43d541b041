"""The key bar: Textual's Footer, recomposed only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts a widget per key) on every bindings signal:
every focus change and every view switch, even when the keys shown are the same. A view switch
must not pay for rebuilding keys that did not change (over SSH, the largest part of its latency),
so this one compares what it would show first.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyBar(Footer):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: tuple[tuple[str, str, bool], ...] | None = None

    def _keys(self, screen: Screen[object]) -> tuple[tuple[str, str, bool], ...]:
        return tuple(
            (binding.key, binding.description, enabled)
            for (_, binding, enabled, _tooltip) in screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not (self.is_attached and screen is self.screen and screen.app.app_focus):
            super().bindings_changed(screen)
            return
        keys = self._keys(screen)
        if keys != self._shown:
            self._shown = keys
            super().bindings_changed(screen)
