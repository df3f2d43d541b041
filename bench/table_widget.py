"""widgets/keyed_table.py's KeyedTable beside Textual's DataTable (its peer), in one run.

    python bench/table_widget.py [--rows 500,30000] [--runs 3] [--presses 20]

For each row count, alternating, each table runs in a small Textual app of this script's own in
an 80x24 pty (two tables of the kind in a ContentSwitcher, a status line): nothing of the
cockpit but the widget, so the figures are the table's. Each is timed from the key to the frame
that shows its effect (the marker text written to the terminal), as the other benchmarks time
keys:

- first show: ``f`` fills the shown table with the rows (built before, in memory), until its
  first row is drawn; one per run (a new process each run);
- a one-cell update: ``u`` sets one cell of the first row, until the new value is drawn;
- a view switch: ``v`` shows the other table (filled with as many rows) and focuses it, until
  its header is drawn, then ``v`` again, back;
- cursor down: until the row the cursor moves to is drawn again (the cursor line), the window
  scrolling past its last line.

Both tables are used as the cockpit uses them: rows added by key (DataTable.add_row, and
update_cell for the update; KeyedTable.set_rows and update_cell), row cursor, str cells with
nothing markup could change. Medians and p99 in ms (first show: over the runs), and the ratio
KeyedTable / DataTable. Not a timed test: bench/README.md quotes the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_run import PtySession

KINDS = ("KeyedTable", "DataTable")
ACTIONS = ("first show", "one-cell update", "view switch", "cursor down")
LABELS = ("key", "value", "user", "state", "client", "query")


def cells(prefix: str, i: int) -> tuple[str, ...]:
    """A row of a sessions-like table: key, value, user, state, client, a long query text."""
    return (
        f"{prefix}{i:07d}",
        f"v{i * 7 % 1000:06d}",  # as wide as the updates' values: the layout stays
        "app",
        ("active", "idle", "idle in transaction")[i % 3],
        f"10.0.{i // 256 % 256}.{i % 256}",
        f"SELECT * FROM orders WHERE customer_id = {i} AND state = 'open' ORDER BY created_at",
    )


def child(kind: str, count: int) -> None:
    """The app a pty runs: ``f`` fills table a, ``g`` table b, ``u`` updates a cell, ``v``
    switches view, arrows move the cursor."""
    from textual.app import App, ComposeResult
    from textual.widgets import ContentSwitcher, DataTable, Static

    from widgets.keyed_table import Column, KeyedTable

    # The rows as each table takes them, built before any key: a first show times the table.
    rows = {name: [cells(prefix, i) for i in range(count)] for name, prefix in (("a", "r"), ("b", "s"))}
    keyed = {name: {row[0]: dict(zip(LABELS, row, strict=True)) for row in rows[name]} for name in rows}
    header = {"a": "ALPHA", "b": "BRAVO"}

    def make(name: str) -> KeyedTable | DataTable[str]:
        if kind == "KeyedTable":
            columns = [
                Column(key, header[name] if key == "key" else key.upper(), priority=p, flex=key == "query")
                for key, p in zip(LABELS, (9, 8, 3, 5, 2, 7), strict=True)
            ]
            return KeyedTable(columns, id=name)
        table: DataTable[str] = DataTable(id=name, cursor_type="row")
        for key in LABELS:
            table.add_column(header[name] if key == "key" else key.upper(), key=key)
        return table

    class Bench(App[None]):
        CSS = "#status { dock: bottom; height: 1; } ContentSwitcher { height: 1fr; }"
        BINDINGS = [("f", "fill('a')"), ("g", "fill('b')"), ("u", "update"), ("v", "switch")]

        def __init__(self) -> None:
            super().__init__()
            self.updates = 0

        def compose(self) -> ComposeResult:
            with ContentSwitcher(initial="a"):
                yield make("a")
                yield make("b")
            yield Static("ready", id="status")

        def on_mount(self) -> None:
            self.query_one("#a").focus()

        def action_fill(self, name: str) -> None:
            table = self.query_one(f"#{name}")
            if isinstance(table, KeyedTable):
                table.set_rows(keyed[name])
            else:
                assert isinstance(table, DataTable)
                for row in rows[name]:
                    table.add_row(*row, key=row[0])
            self.query_one("#status", Static).update(f"filled {name}")

        def action_update(self) -> None:
            self.updates += 1
            value = f"u{self.updates:06d}"
            table = self.query_one(ContentSwitcher).visible_content
            if isinstance(table, KeyedTable):
                table.update_cell(table.model.order[0], "value", value)
            elif isinstance(table, DataTable):
                table.update_cell(table.coordinate_to_cell_key((0, 0)).row_key, "value", value)

        def action_switch(self) -> None:
            switcher = self.query_one(ContentSwitcher)
            switcher.current = "b" if switcher.current == "a" else "a"
            shown = switcher.visible_content
            if shown is not None:
                shown.focus()  # as widgets/view_switcher.py does

    Bench().run()


def percentile99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def measure(kind: str, count: int, presses: int) -> dict[str, list[float]]:
    """One process of ``kind`` at ``count`` rows: every action's seconds."""
    session = PtySession([sys.executable, __file__, "--child", kind, "--rows", str(count)])
    took: dict[str, list[float]] = {action: [] for action in ACTIONS}
    try:
        session.wait_for(b"ready", timeout=60)
        session.drain_until_quiet()
        took["first show"].append(session.press(b"f", b"r0000000", timeout=120))
        session.drain_until_quiet()
        session.press(b"g", b"filled b", timeout=120)  # the other view's rows: not timed
        session.drain_until_quiet()
        for n in range(1, presses + 1):
            took["one-cell update"].append(session.press(b"u", f"u{n:06d}".encode()))
            session.drain_until_quiet()
        for _ in range(presses // 2 or 1):
            took["view switch"].append(session.press(b"v", b"BRAVO"))
            session.drain_until_quiet()
            took["view switch"].append(session.press(b"v", b"ALPHA"))
            session.drain_until_quiet()
        for i in range(1, presses + 1):
            took["cursor down"].append(session.press(b"\x1b[B", f"r{i:07d}".encode()))
            session.drain_until_quiet()
    finally:
        session.close()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="500,30000", help="row counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--presses", type=int, default=20, help="presses of each key per run")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    counts = [int(c) for c in args.rows.split(",")]
    if args.child:
        child(args.child, counts[0])
        return 0
    figures = {(kind, count): {a: [] for a in ACTIONS} for kind in KINDS for count in counts}
    for count in counts:
        for _ in range(args.runs):
            for kind in KINDS:  # alternating, so a busy moment of the machine falls on both
                for action, seconds in measure(kind, count, args.presses).items():
                    figures[kind, count][action].extend(seconds)
    print(
        f"table widget, 80x24 pty, {args.runs} runs each alternating, {args.presses} presses per key "
        "per run; key to frame, median (p99) in ms; first show over the runs"
    )
    print(f"  {'rows':>7}  {'':16} {'KeyedTable':>22}  {'DataTable':>22}  ratio")
    for count in counts:
        for action in ACTIONS:
            ours, peer = figures["KeyedTable", count][action], figures["DataTable", count][action]
            ours_m, peer_m = statistics.median(ours) * 1000, statistics.median(peer) * 1000
            print(
                f"  {count:>7,}  {action:<16} {ours_m:8.1f} ms (p99 {percentile99(ours) * 1000:6.1f})  "
                f"{peer_m:8.1f} ms (p99 {percentile99(peer) * 1000:6.1f})  {ours_m / max(peer_m, 1e-9):5.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
