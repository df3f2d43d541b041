"""A pane built the first time it is shown, so the first frame pays only for the pane on screen.

Importing and mounting all six panes (tables, filters, views) would hold the first frame back; a pane
that only works while visible (queries, bloat, backups, secrets, checklists) loses nothing by
being built on its first showing. The app may also build one unseen (the Checklists pane, when
you hold an unfinished run it must reopen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widget import Widget

from screens.pane_env import PaneEnv


class DeferredPane(Widget):
    """Stands in a TabPane until shown; then mounts the real pane there and goes."""

    DEFAULT_CSS = "DeferredPane { height: 1fr; }"

    def __init__(self, build: Callable[[PaneEnv], Widget], env: PaneEnv, pane_id: str) -> None:
        super().__init__()
        self._build = build
        self._env = env
        self.pane_id = pane_id
        self._building = False
        self._built = asyncio.Event()

    async def on_show(self) -> None:
        await self.build_pane(focus=True)

    async def build_pane(self, *, focus: bool) -> None:
        """Mount the real pane in this one's place (once); ``focus`` takes the keys into it.

        A second caller (the digit's action, while the pane's own showing is building it) waits
        until the pane is there: what it does next needs the pane.
        """
        parent = self.parent
        if self._building:
            await self._built.wait()
            return
        if not isinstance(parent, Widget):
            return
        self._building = True
        try:
            pane = self._build(self._env)
            await parent.mount(pane, before=self)
        finally:
            self._built.set()
        await self.remove()
        focus_into = getattr(self.app, "focus_into_pane", None)
        if focus and callable(focus_into):
            focus_into(self.pane_id)  # the keys follow the digit that showed it
