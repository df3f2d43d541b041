"""``?``: the keys of the pane (or screen) you are in first, with its filter's syntax, then the
keys that work everywhere, and what the cockpit is showing."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from cockpit.probes import bloat_filter, query_filter

# What a pane's key table cannot say: its views, and its filter's syntax (`/`).
PANE_NOTES = {
    "health": "Problems only are listed under the tables; `a` shows every check.",
    "queries": "`v` cycles statements, sessions, the lock tree and index hints; `c`, `K`, `C` and `X` "
    "are offered in the sessions view, `R` in the statements view (operators only).\n\n"
    f"**Filter** (`/`, both lists): {query_filter.HELP}",
    "bloat": "`v` switches tables and indexes; maintenance keys are for operators, and each asks "
    "for a confirmation.\n\n"
    f"**Filter** (`/`): {bloat_filter.HELP}",
    "secrets": "`v` cycles certificates, the secrets inventory, login roles and cloud keys; `R` "
    "(in the inventory) starts the key-rotation checklist for the secret.",
    "checklists": "`enter` on a checklist starts a run (after a confirmation), on a run opens it.",
}

HELP = """\
# Everywhere

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
| `A` | arm (type the target's name) or disarm a protected target's writes |
| `?` | this help, for the pane you are in |
| `q`, `ctrl+c` | quit (workers cancelled, connections closed) |

**Read-only** (observer) mode offers no action at all; the action guard refuses
them too, and database sessions are opened read-only.

**Protected** targets ask you to type the target's name before any change.
The header's window is green inside a maintenance window, yellow then red as it closes.
Every action is audited: who, from where, when, what, and the result.
"""


def help_text(where: str, keys: Sequence[tuple[str, str]], notes: str = "") -> str:
    """The help page: ``where``'s own keys (as offered now) and notes first, then the app's."""
    rows = "".join(f"| `{key}` | {description} |\n" for key, description in keys)
    table = f"| key | does |\n|---|---|\n{rows}" if rows else "No keys of its own.\n"
    return f"# {where}\n\n{table}\n{notes}\n\n{HELP}"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, text: str = HELP) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(self.text)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
