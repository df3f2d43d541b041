"""Text from servers, stores and files is shown as it is, and never ends the cockpit (issue 21).

Anyone who can run a query, name a table or a session, answer a health check, drop a file in a
backup folder or write a checklist chooses text the cockpit shows. Textual parses a str as
markup: ``SELECT 1 /* [/] */`` in pg_stat_statements raised MarkupError and ended the cockpit,
and every start after it (the Queries pane reopened). Control characters went to the terminal.
Here a real sandbox database holds such texts (a table named "[/]", a statement with markup in
a comment, a session's application_name, a role), a real health endpoint (plain HTTP) answers
with them, a folder store holds such keys, the config names a target "[/]" and a checklist file has
them in its titles; every pane, dialog, detail view, toast and status line is visited and read
back from the rendered screen.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.content import Content

from cockpit.config import parse_config
from cockpit.sandbox.manager import Sandbox
from cockpit.state import StateStore
from cockpit.visible_text import visible
from screens.app import CockpitApp
from screens.checklist_run import ChecklistRunScreen
from screens.confirm import ConfirmScreen
from screens.help import HelpScreen
from screens.prompt import PromptScreen
from screens.row_detail import RowDetail
from screens.statement_detail import StatementDetail
from screens.target_picker import TargetPicker
from tests.conftest import own_database
from tests.ui.conftest import wait_until
from widgets.bloat_tables import TablesTable
from widgets.checklist_tables import ChecklistListTable
from widgets.queries_tables import SessionsTable, StatementsTable
from widgets.verbatim import as_text, markup_escaped, verbatim

# Each would be lost, or raise, or act, if it were parsed: a closing tag with nothing to close,
# a tag never closed, a link, an action, a theme variable, an emoji code, a terminal escape.
MARKS = "[/] [bold [link=x]l [@click=app.quit]q [$accent]v :fire: \x1b[31mred"
SHOWN = visible(MARKS)  # the escape is written out as \x1b: the terminal never gets it
TABLE = "[/]"
TARGET = "[/]"
OTHER_TARGET = "[@click=app.quit]"
APPLICATION = "[/] [@click=app.quit]"  # PostgreSQL keeps printable ASCII in application_name
ROLE = "[/]role"
CHECKLIST_TITLE = "[/] checklist [bold"
STEP_TITLE = "[@click=app.quit] step [/]"
LONG = "[/]" + "x" * 5000  # a very long line, markup at its start


def test_the_verbatim_helpers_round_trip() -> None:
    """What the screens rely on: a Text that holds exactly the text, a table cell's Text with its
    controls written out, and an escape for Textual's markup that parses back to the text."""
    assert verbatim(MARKS).plain == SHOWN and "\x1b" not in SHOWN and "\\x1b[31mred" in SHOWN
    assert as_text(MARKS).plain == SHOWN
    assert as_text(Text(MARKS, style="red")).plain == SHOWN  # a Text too, its style kept
    for text in [MARKS, "[B]x", "\\[b]x", "x\\", "[[b]]", "[$x", "a]b[", LONG]:
        assert Content.from_markup(markup_escaped(text)).plain == visible(text)


# -- reading the screen -------------------------------------------------------------------------

_SVG_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


def screen_text(app: CockpitApp) -> str:
    """The rendered screen as lines of text, modals over their background included: read back
    from Textual's own screenshot (an SVG of the terminal, 12.2 by 24.4 units a cell)."""
    rows: dict[int, dict[int, str]] = {}
    for x, y, text in _SVG_TEXT.findall(app.export_screenshot()):
        row, column = round((float(y) - 20) / 24.4), round(float(x) / 12.2)
        rows.setdefault(row, {})[column] = html.unescape(text).replace("\xa0", " ")
    lines = []
    for row in sorted(rows):
        line = ""
        for column, text in sorted(rows[row].items()):
            line += " " * max(0, column - cell_len(line)) + text
        lines.append(line)
    return "\n".join(lines)


async def shown(pilot, app: CockpitApp, *texts: str, timeout: float = 30) -> str:  # type: ignore[no-untyped-def]
    """Waits until every one of ``texts`` is on the screen; the screen's text."""
    screen = ""

    def there() -> bool:
        nonlocal screen
        screen = screen_text(app)
        return all(text in screen for text in texts)

    try:
        await wait_until(pilot, there, timeout)
    except AssertionError:
        raise AssertionError(f"never shown: {[t for t in texts if t not in screen]}\n{screen}") from None
    return screen


# -- the hostile world: a database, an endpoint, a folder store, a checklist, a config ---------


class HostileEndpoint(BaseHTTPRequestHandler):
    """A health endpoint whose JSON answers with markup."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"status": MARKS, "database": "[/]"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class World:
    config: str  # two targets, "[/]" and "[@click=app.quit]", on the database below
    dsn: str  # the sandbox's database "hostile"


@pytest.fixture
def world(sandbox: Sandbox, tmp_path: Path) -> Iterator[World]:
    dsn = own_database(sandbox, "hostile", "pg_stat_statements", "pgstattuple")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" (id int, note text)'.encode())
        conn.execute(f'TRUNCATE "{TABLE}"'.encode())
        conn.execute(
            f"INSERT INTO \"{TABLE}\" SELECT g, repeat('n', 200) FROM generate_series(1, 3000) g".encode()
        )
        conn.execute(f'ANALYZE "{TABLE}"'.encode())
        conn.execute(f'DROP ROLE IF EXISTS "{ROLE}"'.encode())
        conn.execute(f"CREATE ROLE \"{ROLE}\" LOGIN VALID UNTIL '2099-01-01'".encode())
        conn.execute(f'SET ROLE "{ROLE}"'.encode())
        # A statement of its own (pg_stat_statements keeps comments), costly enough to be among
        # the top statements by total time even late in a full run.
        for _ in range(3):
            conn.execute(f"SELECT pg_sleep(0.3) /* {MARKS} */".encode())
        conn.execute(b"RESET ROLE")

    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    store = tmp_path / "store"
    (store / "[").mkdir(parents=True)
    (store / "[" / "]").write_bytes(b"x")  # the key "[/]"
    (store / "[@click=app.quit].dump").write_bytes(b"PGDMP")
    (store / "[@click=app.quit].dump.manifest.json").write_text("[/] not JSON")
    checklists = tmp_path / "checklists"
    checklists.mkdir()
    (checklists / "hostile.toml").write_text(
        f"""
id = "hostile"
title = {json.dumps(CHECKLIST_TITLE)}
[[params]]
name = "who"
prompt = "[bold]who[/] is it [/] \\u001b[31m"
[[sections]]
name = "only"
title = "[/]"
[[sections.steps]]
id = "s1"
title = {json.dumps(STEP_TITLE)}
detail = {json.dumps(MARKS)}
"""
    )
    (checklists / "[bold]broken.toml").write_text('title = "[/]"\n')

    def target(name: str) -> str:
        key = json.dumps(name)
        return f"""
[targets.{key}]
description = "[bold]described [/]"

[[targets.{key}.databases]]
name = "[link=x]db"
dsn = "{dsn}"

[[targets.{key}.health]]
name = "[/]endpoint"
url = "http://127.0.0.1:{server.server_port}/health"
interval_s = 1
expect_json = {{ status = "ok" }}

[[targets.{key}.backups]]
name = "[bold]folder"
kind = "folder"
database = "[link=x]db"
path = "{store}"
rpo = "24h"

[[targets.{key}.backups]]
name = "[/]missing"
kind = "folder"
database = "[link=x]db"
path = "{tmp_path}/[/]nowhere"

[[targets.{key}.secrets]]
name = "[/]secret"
lives_in = "[@click=app.quit] vault"
rotated_at = "2026-01-01"
policy_days = 90

[[targets.{key}.archives]]
name = "[/]archive"
table = "public.{TABLE}"
archive_table = "public.archived"
column = "id"

[[targets.{key}.maintenance_windows]]
name = "[/]window"
weekly = "sun 02:00"
duration = "2h"
"""

    config = (
        f"""
[settings]
default_target = {json.dumps(TARGET)}
refresh_interval_s = 1
checklists_dir = "{checklists}"
"""
        + target(TARGET)
        + target(OTHER_TARGET)
    )
    try:
        yield World(config, dsn)
    finally:
        server.shutdown()
        server.server_close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{ROLE}"'.encode())


@pytest.fixture
def idle_in_transaction(world: World) -> Iterator[int]:
    """A session with markup in its application_name and in its query, idle in a transaction."""
    conn = psycopg.connect(world.dsn, application_name=APPLICATION)
    conn.execute(f'SELECT count(*) FROM "{TABLE}" /* {MARKS} */'.encode())
    try:
        yield conn.info.backend_pid
    finally:
        conn.close()


# -- every pane, dialog, detail view, toast and status line ------------------------------------


async def test_hostile_text_is_shown_as_it_is_everywhere(
    world: World, idle_in_transaction: int, tmp_path: Path
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    app = CockpitApp(parse_config(world.config), store=store)
    try:
        async with app.run_test(size=(200, 50), notifications=True) as pilot:
            # The header: the target's name and the window's.
            await shown(pilot, app, f"ops-cockpit  {TARGET}", "[/]window")

            # Health: the endpoint's name and its JSON in the findings, the database's name.
            await pilot.press("1")
            await shown(pilot, app, "[/]endpoint", "status is '[/] [bold [link=x]l", "[link=x]db")

            # Queries: the statement and its user, the statement's detail.
            await pilot.press("2")
            statements = app.query_one(StatementsTable)
            await shown(pilot, app, f"/* {SHOWN} */", ROLE, "[link=x]db: ")  # the status line too
            key = next(k for k in statements.row_keys if MARKS in str(statements.cell(k, "query")))
            statements.move_cursor_to(statements.row_index(key))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, StatementDetail))
            await shown(pilot, app, f"/* {SHOWN} */", f'hostile as "{ROLE}": ')
            await pilot.press("escape")

            # The sessions view: the application_name, the query.
            await pilot.press("v")
            sessions = app.query_one(SessionsTable)
            pid = str(idle_in_transaction)
            await wait_until(pilot, lambda: pid in set(sessions.row_keys))
            # The query is cut to the width left by the other columns: its start, verbatim, here;
            # the whole of it in the session's detail below.
            await shown(pilot, app, APPLICATION, f'"{TABLE}" /* {SHOWN[:20]}')
            sessions.move_cursor_to(sessions.row_index(pid))
            await pilot.press("enter")  # the session whole
            await wait_until(pilot, lambda: isinstance(app.screen, RowDetail))
            screen = await shown(pilot, app, f"session {pid}", "TRANSACTION START")
            query = f'SELECT count(*) FROM "{TABLE}" /* {SHOWN} */'
            detail = [line for line in screen.splitlines() if "█ " in line]  # the detail's box
            assert any("QUERY " in line and query in line for line in detail), screen
            assert any("APPLICATION " in line and APPLICATION in line for line in detail), screen
            await pilot.press("escape")

            # Bloat: the table, its exact figure (a toast), a VACUUM's confirmation.
            await pilot.press("3")
            tables = app.query_one(TablesTable)
            await wait_until(pilot, lambda: f"public.{TABLE}" in set(tables.row_keys), 60)
            tables.move_cursor_to(tables.row_index(f"public.{TABLE}"))
            await pilot.press("enter")  # the row whole
            await wait_until(pilot, lambda: isinstance(app.screen, RowDetail))
            await shown(pilot, app, f"table: public.{TABLE}", "AUTOVACUUM  ok")
            await pilot.press("escape")
            await pilot.press("x")
            # ... and on the status line, which names the database as configured.
            await shown(pilot, app, "Exact figure", f"[link=x]db: exact (full scan) public.{TABLE}: ")
            app.clear_notifications()
            await pilot.press("V")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            summary = f"VACUUM (ANALYZE) public.{TABLE} on [link=x]db"
            await shown(pilot, app, summary, f"on target {TARGET}")
            await pilot.click("#confirm-run")  # the action's line, then its toast
            await shown(pilot, app, f"{summary}: done")
            app.clear_notifications()

            # Backups: a key "[/]", a dump whose manifest is not JSON, a store that is missing.
            await pilot.press("4")
            await shown(
                pilot, app, "[bold]folder", "[/] (not a backup)", "[@click=app.quit].dump", "[/]missing"
            )

            # Secrets: the inventory's names, the role's.
            await pilot.press("5")
            await shown(pilot, app, "certificates: ")
            await pilot.press("v")
            await shown(pilot, app, "[/]secret", "[@click=app.quit] vault")
            await pilot.press("v")
            await shown(pilot, app, ROLE)

            # Checklists: titles, a broken file's error (a toast), the parameter's question, the run.
            await pilot.press("6")
            await shown(pilot, app, CHECKLIST_TITLE, "[bold]broken.toml")
            app.clear_notifications()
            listing = app.query_one(ChecklistListTable)
            listing.focus()
            listing.move_cursor_to(listing.row_index("hostile"))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
            await shown(pilot, app, "who: [bold]who[/] is it [/] \\x1b[31m")
            await pilot.press(*"[/]", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # start the run?
            await shown(pilot, app, CHECKLIST_TITLE, f"on target {TARGET}")
            await pilot.click("#confirm-run")
            await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen), 30)
            await shown(pilot, app, CHECKLIST_TITLE + "  [0/1]", STEP_TITLE, SHOWN)
            await pilot.press("escape")

            # The help, the target picker, the command palette.
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await pilot.press("t")
            await wait_until(pilot, lambda: isinstance(app.screen, TargetPicker))
            await shown(pilot, app, f"{TARGET}  [bold]described [/]", f"{OTHER_TARGET}  [bold]described [/]")
            await pilot.press("escape")
            await pilot.press("ctrl+p")
            await pilot.press(*"target")
            await shown(pilot, app, f"Target: {OTHER_TARGET}", f"Switch to target {OTHER_TARGET}")
            await pilot.press("escape")
            assert app.is_running
    finally:
        store.close()
    assert app.return_code in (None, 0)
