"""The Bloat pane: estimated bloat and vacuum health, exact figures on demand, guarded maintenance.

The estimate reads only the catalogs, yet it is a catalog scan: it runs when the pane is first
shown, then every ``settings.bloat_interval_s`` (5 minutes) while on screen, or on `r`. `v`
switches between tables and indexes, `/` filters (``schema:`` and ``min:`` go to the server), `x`
reads the selected relation exactly with pgstattuple (a full scan, labelled as such, in a worker
with its own timeout). `V` VACUUM (ANALYZE), `A` ANALYZE, `F` VACUUM FULL and `I` REINDEX
CONCURRENTLY are guarded actions with live progress (the app's action bar), absent for observers.
`m` runs the configured audit-log archive: it counts the rows due first, then moves them in
batches once confirmed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Label

from cockpit import collector
from cockpit.actions.archive import ArchivePlan, archive_database, plan_archive, run_archive
from cockpit.actions.maintenance import (
    EVERY_TABLE,
    EveryTable,
    Kind,
    Relation,
    maintenance_request,
    run_maintenance,
)
from cockpit.config import Archive, Database
from cockpit.db.live_session import LiveSession
from cockpit.db.sessions import connect
from cockpit.errors import CockpitError
from cockpit.guard import ActionContext
from cockpit.probes.bloat import BloatReading, exact_bloat
from cockpit.probes.bloat_estimate import BloatEstimate
from cockpit.probes.bloat_filter import BloatFilter, parse_bloat_filter
from cockpit.units import format_size
from screens.cadence import SlowCadence
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.bloat_tables import IndexesTable, TablesTable
from widgets.filter_box import FilterBox
from widgets.pane_table import DeferredPlan
from widgets.status_line import StatusLine
from widgets.view_switcher import ViewSwitcher

VIEWS = ("tables", "indexes")
# A schema: or min: typed is read from the server once the typing has paused this long.
REREAD_AFTER_TYPING_S = 0.6


@dataclass(frozen=True)
class _ShownPlan:
    """A reading as the pane shows it, made off the loop: per view, relations read, kept by
    the filter, over the warn threshold, locked; and each table's rows."""

    counts: dict[str, tuple[int, int, int, int]]
    tables: DeferredPlan
    indexes: DeferredPlan


class BloatPane(PollingPane):
    BINDINGS = [
        Binding("v", "next_view", "View"),
        Binding("slash", "edit_filter", "Filter"),
        Binding("x", "exact", "Exact (scan)"),
        Binding("V", "maintain('vacuum_analyze')", "VACUUM"),
        # Z, not A: A arms and disarms a protected target everywhere (issue 23 item 8).
        Binding("Z", "maintain('analyze')", "ANALYZE"),
        Binding("F", "maintain('vacuum_full')", "VACUUM FULL"),
        Binding("I", "reindex", "REINDEX"),
        Binding("m", "archive", "Archive old rows"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    DEFAULT_CSS = """
    BloatPane > ViewSwitcher { height: 1fr; }
    BloatPane PaneTable { height: 1fr; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.database: Database = env.probe_context.target.databases[0]
        self.session = LiveSession(self.database, env.probe_context.policy)
        self.view = VIEWS[0]
        self.filter = BloatFilter()
        self.reading: BloatReading | None = None
        self.estimate = BloatEstimate()  # kept between reads: each reads again only what moved
        # Per view: relations read, kept by the filter, over the warn threshold, locked.
        self._counts: dict[str, tuple[int, int, int, int]] = dict.fromkeys(VIEWS, (0, 0, 0, 0))
        self.exact_line = ""
        self._took_ms = 0.0
        self._error = ""
        self._reread: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine("waiting for the first estimate...", id="bloat-status")
        yield FilterBox(placeholder="schema:NAME min:10MB words   (enter: keep, esc: clear)")
        with ViewSwitcher(initial="tables"):
            yield TablesTable(id="tables")
            yield IndexesTable(id="indexes")

    def on_mount(self) -> None:
        every = SlowCadence(lambda: self.env.probe_context.settings.bloat_interval_s)
        self.poll(self._read_once, every, description="Estimating bloat")

    # -- reading --------------------------------------------------------------------------------

    async def _read_once(self) -> None:
        started = time.monotonic()
        policy = self.env.probe_context.policy
        # Two heavy catalog statements, each under statement_timeout: a deadline for both.
        deadline = policy.answer_deadline_s + policy.statement_timeout_ms / 1000
        wanted = (self.filter.schema, self.filter.min_bytes)
        if wanted != (self.estimate.schema, self.estimate.min_bytes):
            self.estimate = BloatEstimate(schema=wanted[0], min_bytes=wanted[1])
        with collector.taking_in():  # 30,000 relations' objects, kept until the next reading
            try:
                # The estimate first, shown at once; then the exact sizes of what it estimated.
                self.reading = await self.session.read(self.estimate.read, deadline_s=deadline)
                self._took_ms = (time.monotonic() - started) * 1000
                self._error = ""
                if self.estimate.sizes_pending:
                    await self._show_read()
                    self.reading = await self.session.read(self.estimate.read_sizes, deadline_s=deadline)
            except CockpitError as exc:  # one line: no answer, a lost session, or none could be opened
                self._error = str(exc)
                self._took_ms = (time.monotonic() - started) * 1000
            await self._show_read()

    async def on_unmount(self) -> None:
        await self.session.aclose()

    # -- display --------------------------------------------------------------------------------

    def _show(self) -> None:
        """Show the reading as the filter keeps it, now (a filter typed, a view's keys)."""
        if self.reading is not None:
            self._put(
                self._plan(
                    self.reading, self.filter, self.query_one(TablesTable), self.query_one(IndexesTable)
                )
            )
        self.query_one("#bloat-status", Label).update(self._status_line())

    async def _show_read(self) -> None:
        """Show a new reading: the rows compared and the counts made on a worker thread (30,000
        relations take a few hundred ms of Python), then put in the tables on the loop. If the
        filter or the reading moved meanwhile, what is shown is made again, now."""
        reading, wanted = self.reading, self.filter
        tables, indexes = self.query_one(TablesTable), self.query_one(IndexesTable)
        if reading is None:
            self._show()
            return
        plan = await asyncio.to_thread(self._plan, reading, wanted, tables, indexes)
        if reading is not self.reading or wanted is not self.filter:
            self._show()
            return
        self._put(plan)
        self.query_one("#bloat-status", Label).update(self._status_line())

    def _plan(
        self, reading: BloatReading, wanted: BloatFilter, tables: TablesTable, indexes: IndexesTable
    ) -> _ShownPlan:
        """What the tables and the status line show of ``reading``: reads the tables, changes
        nothing (safe on a worker thread)."""
        thresholds = self.env.probe_context.thresholds
        # Every relation the filter keeps: a row's figures are formatted when drawn.
        kept_tables = [t for t in reading.tables if wanted.keeps(t.qualified)]
        kept_indexes = [i for i in reading.indexes if wanted.keeps(i.qualified)]
        # Counted once per reading or filter, not per key: `v` must not walk 30,000 rows.
        warn = thresholds.bloat_warn_pct
        counts = {
            view: (
                len(rows),
                len(kept),
                sum(1 for r in rows if not r.small and (r.bloat_pct or 0) >= warn),
                sum(1 for r in rows if r.locked),
            )
            for view, rows, kept in (
                ("tables", reading.tables, kept_tables),
                ("indexes", reading.indexes, kept_indexes),
            )
        }
        return _ShownPlan(
            counts,
            tables.plan(
                kept_tables,
                now=datetime.now(UTC),
                xid_now=reading.xid_now,
                warn=thresholds.bloat_warn_pct,
                crit=thresholds.bloat_crit_pct,
                dead_warn=thresholds.dead_tuple_warn_pct,
            ),
            indexes.plan(kept_indexes, warn=thresholds.bloat_warn_pct, crit=thresholds.bloat_crit_pct),
        )

    def _put(self, plan: _ShownPlan) -> None:
        self._counts = plan.counts
        self.query_one(TablesTable).put_planned(plan.tables)
        self.query_one(IndexesTable).put_planned(plan.indexes)

    def _status_line(self) -> str:
        name = self.database.name
        if self._error:
            return self._error  # one line that names the database
        if self.exact_line:
            return f"{name}: {self.exact_line}"
        if self.reading is None:
            return f"{name}: estimating..."
        warn = self.env.probe_context.thresholds.bloat_warn_pct
        total, shown, bloated, locked = self._counts[self.view]
        # schema: and min: are the estimate's own (the server skipped the rest): "N of M match"
        # counts what the words keep of what it read.
        counted = f"{shown:,} of {total:,} {self.view} match {self.filter.describe()}"
        what = counted if self.filter.active else f"{total:,} {self.view}"
        # Until read_sizes answers, the sizes of what was estimated again are pages x block size.
        read = "sizes being read" if self.estimate.sizes_pending else f"read in {self._took_ms:.0f} ms"
        return (
            f"{name}: {what}, {bloated} over {warn:g}% bloat (estimated)"
            f"{f', {locked} locked (sizes skipped)' if locked else ''}; {read}, "
            f"every {self.env.probe_context.settings.bloat_interval_s / 60:g} min (r: now)"
        )

    # -- keys -----------------------------------------------------------------------------------

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.query_one(ViewSwitcher).show(self.view)
        self.exact_line = ""
        self.refresh_bindings()
        self.query_one("#bloat-status", Label).update(self._status_line())

    def _focus_view(self) -> None:
        self.query_one(ViewSwitcher).focus_shown()

    def action_edit_filter(self) -> None:
        self.query_one(FilterBox).open(self.filter.describe())

    def action_clear_filter(self) -> None:
        """esc: no filter any more, the box closed (from the box or from the table)."""
        box = self.query_one(FilterBox)
        if box.is_open or self.filter.active:
            box.close()
            self._focus_view()
            self._apply(BloatFilter(), at_once=True)

    def _apply(self, wanted: BloatFilter, *, at_once: bool) -> None:
        """Words filter the rows on screen now; schema: and min: are the estimate's, a catalog
        scan: typed, they are read again once the typing pauses (not a scan per keystroke)."""
        server_side = (wanted.schema, wanted.min_bytes) != (self.filter.schema, self.filter.min_bytes)
        self.filter = wanted
        if self._reread is not None:
            self._reread.stop()
            self._reread = None
        if server_side:
            if at_once:
                self.refresh_now()
            else:
                self._reread = self.set_timer(REREAD_AFTER_TYPING_S, self.refresh_now)
        self._show()

    @on(FilterBox.Changed)
    def _filter_typed(self, event: FilterBox.Changed) -> None:
        wanted = self.query_one(FilterBox).read(event.value, parse_bloat_filter)
        if wanted is not None:
            self._apply(wanted, at_once=False)

    @on(FilterBox.Submitted)
    def _filter_submitted(self, event: FilterBox.Submitted) -> None:
        wanted = self.query_one(FilterBox).read(event.value, parse_bloat_filter, submitted=True)
        if wanted is None:
            return
        self._focus_view()
        pending = self._reread is not None
        self._apply(wanted, at_once=True)
        if pending:
            self.refresh_now()

    @on(FilterBox.Cleared)
    def _filter_cleared(self) -> None:
        self.action_clear_filter()

    def _selected(self) -> Relation | None:
        """The relation under the cursor, as an action target."""
        reading = self.reading
        if reading is None:
            return None
        if self.view == "tables":
            key = self.query_one(TablesTable).selected_key()
            table = next((t for t in reading.tables if t.qualified == key), None)
            if table is None:
                return None
            heap = (
                (table.table_bytes or 0) + (table.toast_bytes or 0) if table.table_bytes is not None else None
            )
            return Relation(table.schema, table.name, size_bytes=heap, index_bytes=table.index_bytes)
        key = self.query_one(IndexesTable).selected_key()
        index = next((i for i in reading.indexes if i.qualified == key), None)
        if index is None:
            return None
        return Relation(index.schema, index.name, kind="index", index_of=index.table, size_bytes=index.bytes)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Maintenance is absent (not just disabled) for observers; table-only keys in the index view too."""
        if action == "maintain":
            if self.view != "tables":
                return False
            kind = str(parameters[0]) if parameters else "vacuum_analyze"
            return self.env.guard.offers(maintenance_request(kind, EVERY_TABLE, self.database))  # type: ignore[arg-type]
        if action == "reindex":
            return self.env.guard.offers(maintenance_request("reindex_table", EVERY_TABLE, self.database))
        if action == "archive":
            return bool(self.env.probe_context.target.archives) and self.env.guard.offers(
                maintenance_request("vacuum_analyze", EVERY_TABLE, self.database)
            )
        return True

    def action_maintain(self, kind: Kind) -> None:
        target = self._selected()
        if target is None:
            self.notify("select a table first", severity="warning")
            return
        self._run(kind, target)

    def action_reindex(self) -> None:
        target = self._selected()
        if target is None:
            self.notify("select a table or an index first", severity="warning")
            return
        self._run("reindex_index" if target.kind == "index" else "reindex_table", target)

    def vacuum_everything(self) -> None:
        """VACUUM (ANALYZE) of every table in the database (the runbooks' weekly cleanup)."""
        self._run("vacuum_analyze", EVERY_TABLE)

    def _run(self, kind: Kind, target: Relation | EveryTable) -> None:
        database, policy = self.database, self.env.action_policy()

        def run(context: ActionContext) -> None:
            try:
                run_maintenance(context, kind, target, database, policy)
            finally:
                self.app.call_from_thread(self.refresh_now)  # the row shows the after figures

        self.env.run_action(maintenance_request(kind, target, self.database), run)

    def action_archive(self) -> None:
        """Count the rows due (in a worker), then ask for confirmation with the count shown."""
        rule = self._archive_rule()
        if rule is not None:
            self.notify(f"counting rows of {rule.table} older than {rule.older_than}...", timeout=3)
            self._plan_archive(rule)

    def _archive_rule(self) -> Archive | None:
        """The archive whose source table is selected; the only one when there is one."""
        rules = self.env.probe_context.target.archives
        selected = self._selected()
        chosen = [r for r in rules if selected is not None and _same_table(r.table, selected)]
        if chosen or len(rules) == 1:
            return (chosen or rules)[0]
        names = ", ".join(r.table for r in rules)
        self.notify(f"select the table to archive: one of {names}", severity="warning")
        return None

    @work(thread=True, exclusive=True, group="bloat-archive-count", exit_on_error=False)
    def _plan_archive(self, rule: Archive) -> None:
        context = self.env.probe_context
        try:
            plan = plan_archive(rule, archive_database(rule, context.target.databases), context.policy)
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Archive", severity="error", timeout=15)
            return
        self.app.call_from_thread(self._confirm_archive, plan)

    def _confirm_archive(self, plan: ArchivePlan) -> None:
        if plan.rows_due == 0:
            rule = plan.rule
            self.notify(f"nothing to archive: no row of {rule.table} is older than {rule.older_than}")
            return
        policy = self.env.action_policy()

        def run(context: ActionContext) -> None:
            try:
                run_archive(context, plan, policy)
            finally:
                self.app.call_from_thread(self.refresh_now)

        self.env.run_action(plan.request(), run)

    def action_exact(self) -> None:
        target = self._selected()
        if target is None:
            self.notify("select a table or an index first", severity="warning")
            return
        self.exact_line = f"exact figure for {target.qualified}: full scan running..."
        self.query_one("#bloat-status", Label).update(self._status_line())
        self._exact(target)

    @work(thread=True, exclusive=True, group="bloat-exact", exit_on_error=False)
    def _exact(self, target: Relation) -> None:
        timeout = self.env.probe_context.settings.bloat_exact_timeout_ms
        try:
            with connect(self.database, self.env.probe_context.policy) as conn:
                exact = exact_bloat(conn, target.quoted, target.kind, timeout_ms=timeout)
            line = (
                f"exact (full scan) {target.qualified}: {exact.wasted_pct:.0f} % wasted, "
                f"{format_size(exact.wasted_bytes)} of {format_size(exact.bytes)}; {exact.detail}"
            )
        except CockpitError as exc:
            line = str(exc)
        self.app.call_from_thread(self._exact_done, line)

    def _exact_done(self, line: str) -> None:
        self.exact_line = line
        self.query_one("#bloat-status", Label).update(self._status_line())
        self.notify(line, title="Exact figure", timeout=20)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [
            ("Bloat: next view", "Tables, indexes", self.action_next_view),
            ("Bloat: filter", "schema:NAME min:10MB words", self.action_edit_filter),
        ]
        if self.env.guard.offers(maintenance_request("vacuum_analyze", EVERY_TABLE, self.database)):
            commands.append(
                (
                    "Bloat: VACUUM (ANALYZE) every table",
                    "The runbooks' weekly cleanup",
                    self.vacuum_everything,
                )
            )
            commands.extend(
                (f"Bloat: archive {r.table}", f"rows older than {r.older_than}", self._archive_command(r))
                for r in self.env.probe_context.target.archives
            )
        return commands

    def _archive_command(self, rule: Archive) -> Any:
        return lambda: self._plan_archive(rule)


def _same_table(qualified: str, target: Relation) -> bool:
    schema, _, name = qualified.rpartition(".")
    return target.kind == "table" and (schema or "public", name) == (target.schema, target.name)
