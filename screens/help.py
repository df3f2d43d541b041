"""``?``: what every key does, and what the cockpit is showing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# ops-cockpit

Runbooks made live. Each tab is a pane; a pane says **not configured** (with the key to
add) when the target lacks what it needs.

| key | does |
|---|---|
| `1`-`6` | go to a pane (Health, Queries, Bloat, Backups, Secrets, Checklists): its keys work at once |
| `tab` / `shift+tab` | move between the pane's tables and boxes |
| `enter` | the row under the cursor, whole: every column, even those a narrow terminal drops |
| `r` | refresh the current pane now |
| `t` | switch target (environment) |
| `ctrl+p` | command palette: panes, targets, actions |
| `ctrl+x` | cancel the running action |
| `?` | this help |
| `q` | quit (workers cancelled, connections closed) |

**Read-only** (observer) mode offers no action at all; the action guard refuses
them too, and database sessions are opened read-only.

**Protected** targets ask you to type the target's name before any change.
The header's window is green inside a maintenance window, yellow then red as it closes.
Every action is audited: who, from where, when, what, and the result.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
