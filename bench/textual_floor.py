"""The floors under the cockpit's first frame and footprint: Textual apps with none of its code.

    python bench/textual_floor.py                       # a bare Textual app
    python bench/textual_floor.py --screen              # the cockpit's first screen, as widgets
    python bench/textual_floor.py --libraries CONFIG    # bare, plus the libraries Health uses
    python bench/textual_floor.py --switch              # four screen-sized views, `v` cycles

Bare: a static line and a 10-row DataTable whose header says SEVERITY (the marker
bench/first_frame.py waits for), one cell updated every second: what any Textual app pays on this
machine before it does anything of its own.

``--screen``: the same kinds and number of widgets as the cockpit's first screen (a header of six
labels, six tabs with the Health pane's status line and three tables, a hidden progress bar, the
key bar), Textual's default styles, no cockpit module: what Textual charges for that screen, so
bench/first_frame.py can tell the cockpit's own part of its first frame from Textual's.

``--libraries CONFIG`` (a cockpit config, the sandbox's): the bare app plus what the Health pane
keeps busy in the same process: a psycopg session read every second, an httpx client polling the
config's first HTTPS health endpoint every second from an event loop in a thread (verifying with
its ca_bundle), and an SQLite state file. bench/idle_footprint.py measures its RSS: the floor of
the libraries the cockpit stands on, before any cockpit code.

``--switch``: the floor under the Queries pane's `v` (bench/queries_refresh.py runs it beside
the cockpit): a status line, a ContentSwitcher of four views, each one Static of 40 lines of
pre-built text (Textual's cheapest widget), a one-line key bar. `v` shows the next view and
writes its status line (the same words the cockpit's views write): what Textual charges for
laying out and painting a new view of the screen, with nothing to read and nothing to build.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import tempfile
import threading
import time
import tomllib
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Footer,
    Label,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
)

HEALTH_COLUMNS = {
    "endpoints": ("SEVERITY", "ENDPOINT", "STATUS", "LATENCY", "P50", "P95", "ERRORS", "TREND", "LAST OK"),
    "databases": ("SEVERITY", "DATABASE", "ROLE", "CONNS", "OLDEST XACT", "BLOCKED", "CACHE", "WRAP"),
    "findings": ("SEVERITY", "CHECK", "SUBJECT", "MESSAGE"),
}


class TextualFloor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a bare Textual app")
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("SEVERITY", "CHECK", "DETAIL")
        for row in range(10):
            table.add_row("ok", f"check {row}", "fine")
        self.set_interval(1, self.tick)

    def tick(self) -> None:
        self.query_one(DataTable).update_cell_at((0, 2), f"{time.time():.0f}")


class CockpitScreenFloor(App[None]):
    """The cockpit's first screen's widget tree (49 nodes at 80x24), nothing of the cockpit."""

    CSS = """
    #header { height: 1; dock: top; }
    #header Label { padding: 0 1; }
    #health DataTable { height: auto; max-height: 35%; }
    """
    BINDINGS = [
        ("q", "quit", "Quit"),
        ("r", "refresh", "Refresh"),
        ("a", "all", "All findings"),
        ("t", "target", "Target"),
        ("question_mark", "help", "Help"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            for text in ("ops-cockpit", "sandbox", "READ-ONLY", "PROTECTED", "ARMED", "no window"):
                yield Label(text)
        with TabbedContent():
            with TabPane("1 Health", id="health"), Vertical():
                yield Static("starting...")
                for name in HEALTH_COLUMNS:
                    yield DataTable(id=name)
            for key, title in enumerate(("Queries", "Bloat", "Backups", "Secrets", "Checklists"), 2):
                with TabPane(f"{key} {title}", id=title.lower()):
                    yield Static("built when first shown")
        with Vertical(id="action"):
            yield Label("")
            yield ProgressBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#action").display = False
        for name, columns in HEALTH_COLUMNS.items():
            self.query_one(f"#{name}", DataTable).add_columns(*columns)
        self.query_one("#endpoints", DataTable).focus()


# The status lines of the Queries pane's views, in the order `v` cycles them there.
SWITCH_VIEWS = ("waiting on a lock", "index hints", "statements by", "sessions (idle")


class ViewSwitchFloor(App[None]):
    """Four views of the screen's size; `v` shows the next one and says which in a status line."""

    BINDINGS = [("v", "next_view", "View"), ("q", "quit", "Quit")]
    CSS = "#status { height: 1; } #keys { dock: bottom; height: 1; }"

    def compose(self) -> ComposeResult:
        yield Label(SWITCH_VIEWS[-1], id="status")
        with ContentSwitcher(initial="view3"):
            for index, name in enumerate(SWITCH_VIEWS):
                lines = "\n".join(f"{row:>6} {name:<20} {'x' * 40} {row * index:>8}" for row in range(40))
                yield Static(Text(lines), id=f"view{index}")
        yield Label("v View  q Quit", id="keys")

    def action_next_view(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        index = (int((switcher.current or "view0")[4:]) + 1) % len(SWITCH_VIEWS)
        switcher.current = f"view{index}"
        self.query_one("#status", Label).update(SWITCH_VIEWS[index])


def keep_libraries_busy(config_path: Path) -> None:
    """What the Health pane keeps in the process: a psycopg session, an httpx client on its own
    event loop in a thread, an SQLite file; each used once a second."""
    import httpx
    import psycopg

    target = next(iter(tomllib.loads(config_path.read_text())["targets"].values()))
    endpoint = target["health"][0]
    connection = psycopg.connect(target["databases"][0]["dsn"], autocommit=True)
    state_file = Path(tempfile.mkdtemp(prefix="floor-")) / "state.sqlite3"
    state = sqlite3.connect(state_file, check_same_thread=False)
    state.execute("create table if not exists samples (at real, value real)")

    async def poll() -> None:
        import ssl

        verify = ssl.create_default_context(cafile=endpoint["ca_bundle"])
        async with httpx.AsyncClient(verify=verify, timeout=5) as client:
            while True:
                started = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(endpoint["url"])
                connection.execute("select count(*) from pg_stat_activity").fetchall()
                took = time.perf_counter() - started
                state.execute("insert into samples values (?, ?)", (time.time(), took))
                state.commit()
                await asyncio.sleep(1)

    threading.Thread(target=asyncio.run, args=(poll(),), daemon=True).start()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", action="store_true", help="the cockpit's first screen's widgets")
    parser.add_argument("--libraries", type=Path, metavar="CONFIG", help="psycopg, httpx, SQLite in use")
    parser.add_argument("--switch", action="store_true", help="four views, `v` cycles (the floor under v)")
    args = parser.parse_args()
    if args.libraries:
        keep_libraries_busy(args.libraries)
    app: App[None] = (
        CockpitScreenFloor() if args.screen else ViewSwitchFloor() if args.switch else TextualFloor()
    )
    app.run()
