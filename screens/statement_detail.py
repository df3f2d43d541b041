"""One statement from pg_stat_statements: its whole text, its numbers, and its plan on demand.

``e`` explains a generic plan; typing values for $1..$n in the box and pressing enter explains
with them; ``a`` (operators only: absent for observers) runs EXPLAIN (ANALYZE, BUFFERS) as a
guarded action in a transaction that is always rolled back. Plans are read in workers: a slow
EXPLAIN never freezes the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from cockpit.actions.explain import ExplainRefused, explain, parameter_count, parse_values
from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext, ActionRequest
from cockpit.probes.queries import Statement, short
from cockpit.visible_text import visible
from screens.pane_env import PaneEnv
from widgets.footer import KeyBar
from widgets.verbatim import verbatim

ANALYZE_ACTION = "queries.explain_analyze"


class StatementDetail(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("e", "explain", "Explain"),
        Binding("a", "explain_analyze", "Explain analyze"),
    ]

    DEFAULT_CSS = """
    StatementDetail { align: center middle; }
    StatementDetail > Vertical {
        width: 100%; max-width: 140; height: 100%; max-height: 44;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    StatementDetail #statement-text { height: auto; max-height: 40%; }
    StatementDetail #statement-numbers { color: $text-muted; width: 100%; }
    StatementDetail #statement-values { display: none; }
    StatementDetail.-has-parameters #statement-values { display: block; }
    StatementDetail #statement-plan { height: 1fr; border-top: solid $accent 50%; overflow-x: auto; }
    StatementDetail #plan { width: auto; }
    """

    def __init__(
        self,
        statement: Statement,
        database: Database | None,
        env: PaneEnv,
        timeout_ms: int,
    ) -> None:
        super().__init__()
        self.statement = statement
        self.database = database
        self.env = env
        self.timeout_ms = timeout_ms
        self.parameters = parameter_count(statement.text) if statement.text else 0

    def compose(self) -> ComposeResult:
        s = self.statement
        with Vertical():
            with VerticalScroll(id="statement-text"):
                yield Static(
                    Syntax(
                        visible(s.text or f"(no text kept for queryid {s.queryid})"), "sql", word_wrap=True
                    )
                )
            yield Label(
                verbatim(  # database and role names: anyone's choice
                    f"{s.database} as {s.username}: {s.calls:,} calls, mean {s.mean_ms:.1f} ms, total "
                    f"{s.total_ms / 1000:.1f} s, {s.rows:,} rows, {s.shared_blks_read:,} blocks read, "
                    f"{s.temp_blks_written:,} temp blocks written; queryid {s.queryid}"
                ),
                id="statement-numbers",
            )
            yield Input(
                placeholder=f"values for $1..${self.parameters}, comma-separated; enter: explain",
                id="statement-values",
            )
            with VerticalScroll(id="statement-plan"):
                yield Static(self._hint(), id="plan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.parameters > 0, "-has-parameters")

    def _hint(self) -> str:
        analyze = "" if self.env.read_only else "; a: EXPLAIN ANALYZE (runs it, then rolls back)"
        return f"e: generic plan{'; or type values above' if self.parameters else ''}{analyze}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ANALYZE runs the statement: never offered to observers."""
        if action == "explain_analyze":
            return self.env.guard.offers(self._analyze_request(()))
        return True

    def _analyze_request(self, values: tuple[str | None, ...]) -> ActionRequest:
        return ActionRequest(
            ANALYZE_ACTION,
            f"EXPLAIN ANALYZE runs this statement for real on {self.database.name if self.database else '?'}"
            " (its changes are rolled back; sequences still advance)",
            params={
                "queryid": self.statement.queryid,
                "query": short(self.statement.text, 80),
                "values": values,
            },
            details=(short(self.statement.text, 200),),
            button="Run EXPLAIN ANALYZE",
        )

    def _values(self) -> tuple[str | None, ...] | None:
        """The typed values, or None when the box is empty (a generic plan)."""
        line = self.query_one("#statement-values", Input).value
        return parse_values(line, self.parameters) if line.strip() else None

    def _show_plan(self, lines: list[str] | str, title: str = "") -> None:
        body = Text(no_wrap=True)  # a plan's indentation is its structure: scroll, never wrap
        if title:
            body.append(visible(title) + "\n", style="bold")
        # A plan and an error name relations and quote values: text (Text.append parses no
        # markup), its control characters written out.
        body.append(visible("\n".join(lines) if isinstance(lines, list) else lines))
        self.query_one("#plan", Static).update(body)

    def _show_plan_if_open(self, lines: list[str], title: str) -> None:
        """An ANALYZE may finish after the operator closed this screen: its result is in the audit."""
        if self.is_attached:
            self._show_plan(lines, title)

    def _explain_here(self, values: tuple[str | None, ...] | None) -> None:
        if self.database is None:
            self._show_plan(
                f"this statement ran in database {self.statement.database}, which the target does not "
                "list: add it to the target's databases to explain it"
            )
            return
        self._show_plan("explaining...")
        self._explain_worker(self.database, values)

    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def _explain_worker(self, database: Database, values: tuple[str | None, ...] | None) -> None:
        policy: SessionPolicy = self.env.probe_context.policy
        try:
            lines = explain(database, policy, self.statement.text, values=values, timeout_ms=self.timeout_ms)
            title = "generic plan" if values is None else f"plan for {', '.join(map(str, values))}"
            self.app.call_from_thread(self._show_plan, lines, title)
        except CockpitError as exc:
            self.app.call_from_thread(self._show_plan, str(exc))

    def action_explain(self) -> None:
        self._explain_here(None)

    @on(Input.Submitted, "#statement-values")
    def _values_submitted(self) -> None:
        try:
            self._explain_here(self._values())
        except ExplainRefused as exc:
            self._show_plan(str(exc))

    def action_explain_analyze(self) -> None:
        if self.database is None:
            self._explain_here(None)  # says why
            return
        try:
            values = self._values() or ()
            if len(values) != self.parameters:
                raise ExplainRefused(
                    f"ANALYZE runs the statement: type values for its {self.parameters} parameters first"
                )
        except ExplainRefused as exc:
            self._show_plan(str(exc))
            return
        database, policy, text, timeout = (
            self.database,
            self.env.action_policy(),
            self.statement.text,
            self.timeout_ms,
        )
        show: Callable[..., Any] = self._show_plan_if_open

        def run(context: ActionContext) -> None:
            lines = explain(
                database, policy, text, values=values, analyze=True, timeout_ms=timeout, context=context
            )
            context.result_detail = next((line for line in lines if "Execution Time" in line), "")
            self.app.call_from_thread(show, lines, "EXPLAIN (ANALYZE, BUFFERS), rolled back")

        self.env.run_action(self._analyze_request(values), run)
