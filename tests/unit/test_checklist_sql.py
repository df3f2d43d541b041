"""checklist_sql reads a check's text as PostgreSQL's lexer does: a name in a string or a comment is
no call, a call dressed up (capitals, quotes, a schema, a comment before the parenthesis) is one.
Every attack the issue found is refused by validation, naming what; the real server's side of it
(a run refuses them too, and the server changes nothing) is in
tests/integration/test_checklist_sql_checks.py, which takes ATTACKS and hostile() from here."""

from __future__ import annotations

import pytest

from cockpit.checklists.check_sql import as_query, refusal
from cockpit.checklists.format import ChecklistError, CheckStep, parse_checklist
from cockpit.checklists.library import builtin

# Each as the issue ran it; {table} holds 3 rows, {pid} is a live session, {marker} a file path.
ATTACKS = {
    "begin-read-write": ("BEGIN READ WRITE; DELETE FROM {table}; COMMIT; SELECT 1", "4 statements"),
    "read-only-off": ("SET transaction_read_only = off; DELETE FROM {table}", "2 statements"),
    "set-config": (
        "SELECT set_config('default_transaction_read_only', 'off', false); COMMIT; "
        "INSERT INTO {table} VALUES (99)",
        "3 statements",
    ),
    "set-config-alone": (
        "SELECT length(set_config('default_transaction_read_only', 'off', false))",
        "set_config() is refused",
    ),
    "terminate": ("SELECT pg_terminate_backend({pid})::int", "pg_terminate_backend() is refused"),
    "cancel": ("SELECT pg_cancel_backend({pid})::int", "pg_cancel_backend() is refused"),
    "copy-program": ("COPY (SELECT 1) TO PROGRAM 'touch {marker}'; SELECT 1", "2 statements"),
    "copy-program-alone": ("COPY (SELECT 1) TO PROGRAM 'touch {marker}'", "COPY is not a read"),
    "reload": ("SELECT pg_reload_conf()::int", "pg_reload_conf() is refused"),
    "advisory": (
        "SELECT count(*) FROM (SELECT pg_advisory_lock(4242)) AS l",
        "pg_advisory_lock() is refused",
    ),
    "advisory-xact": (
        "SELECT pg_try_advisory_xact_lock(4242)::int",
        "pg_try_advisory_xact_lock() is refused",
    ),
    "rotate": ("SELECT pg_rotate_logfile()::int", "pg_rotate_logfile() is refused"),
    "read-file": ("SELECT length(pg_read_file('/etc/passwd'))", "pg_read_file() is refused"),
    "ls-dir": ("SELECT count(*) FROM pg_ls_dir('.')", "pg_ls_dir() is refused"),
    "lo-export": ("SELECT lo_export(1, '{marker}')", "lo_export() is refused"),
    "xml-runs-sql": (
        "SELECT length(query_to_xml('SELECT pg_terminate_backend({pid})', true, true, '')::text)",
        "query_to_xml() is refused",
    ),
    "data-modifying-with": (
        "WITH gone AS (DELETE FROM {table} RETURNING 1) SELECT count(*) FROM gone",
        "DELETE changes data",
    ),
    "do-block": ("DO $$ BEGIN DELETE FROM {table}; END $$", "DO is not a read"),
    # The same names dressed up: capitals, quoted, schema-qualified, a comment before the call.
    "capitals": ("SELECT PG_TERMINATE_BACKEND({pid})::int", "pg_terminate_backend() is refused"),
    "quoted": ('SELECT pg_catalog."pg_terminate_backend" /* x */ ({pid})::int', "pg_terminate_backend() is"),
    "unicode-name": ('SELECT U&"pg_terminate_backend"({pid})::int', 'a U&"..." name hides'),
    "after-a-string": ("SELECT 'it''s', pg_cancel_backend({pid})::int", "pg_cancel_backend() is refused"),
    "e-string": ("SELECT E'\\'', pg_cancel_backend({pid})::int --'", "pg_cancel_backend() is refused"),
}

CHECKLIST = """
id = "hostile"
title = "A colleague's checklist"

[[sections]]
name = "pre"

[[sections.steps]]
id = "probe"
title = "Looks harmless"
kind = "check"
sql = {sql}
max_value = 1000
"""


def hostile(sql: str) -> str:
    return CHECKLIST.format(sql=_toml_string(sql))


def _toml_string(text: str) -> str:
    return "'''" + text + "'''" if "'''" not in text else '"' + text.replace("\\", "\\\\") + '"'


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select 1;",
        "(SELECT 1)",
        "VALUES (1)",
        "TABLE pg_stat_activity",
        "WITH a AS (SELECT 1 AS n) SELECT n FROM a",
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_terminate_backend(%'",
        "SELECT 1 -- pg_terminate_backend(1)",
        "SELECT /* outer /* pg_reload_conf() */ still a comment */ 1",
        "SELECT $$ pg_terminate_backend(1); DELETE FROM t $$",
        "SELECT $fn$ pg_cancel_backend(1) $fn$",
        "SELECT 'it''s pg_reload_conf()'",
        "SELECT E'\\' pg_reload_conf() '",
        "SELECT '\\'",  # standard strings: the backslash is a character and the quote ends it
        "SELECT count(*) FROM lo_items",  # a family's name that is not called
        "SELECT x$pg_reload_conf FROM t",  # one identifier
        "SELECT extract(epoch FROM now() - xact_start) FROM pg_stat_activity",
        "SELECT substring(query FOR 10) = 'x' FROM pg_stat_activity",
        "SELECT extract(epoch FROM now() - pg_stat_get_db_stat_reset_time(1))",  # reads when, resets nothing
        'SELECT "update" FROM t',  # a quoted column named like a keyword
    ],
)
def test_reads_pass(sql: str) -> None:
    assert refusal(sql) is None


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("", "no statement"),
        ("-- only a comment", "no statement"),
        ("SELECT 1; SELECT 2", "2 statements (SELECT, SELECT)"),
        ("BEGIN READ WRITE; DELETE FROM t; COMMIT; SELECT 1", "4 statements (BEGIN, DELETE, COMMIT, SELECT)"),
        ("SET transaction_read_only = off", "SET is not a read"),
        ("COPY (SELECT 1) TO PROGRAM 'id'", "COPY is not a read"),
        ("EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN is not a read"),
        ("DO $$ BEGIN PERFORM 1; END $$", "DO is not a read"),
        ("WITH d AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM d", "DELETE changes data"),
        ("WITH d AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT 1", "INSERT changes data"),
        ("SELECT * FROM t FOR UPDATE", "FOR UPDATE / FOR SHARE locks rows"),
        ("SELECT * FROM t FOR KEY SHARE", "FOR UPDATE / FOR SHARE locks rows"),
        ("SELECT 1 INTO TEMP t", "SELECT ... INTO creates a table"),
        ("SELECT pg_terminate_backend(1)", "pg_terminate_backend() is refused: it ends another session"),
        ("SELECT PG_CANCEL_BACKEND(1)", "pg_cancel_backend() is refused: it signals another session"),
        ('SELECT pg_catalog."pg_reload_conf"()', "pg_reload_conf() is refused"),
        ("SELECT pg_reload_conf /* then */ ()", "pg_reload_conf() is refused"),
        ("SELECT 'a''', pg_reload_conf()", "pg_reload_conf() is refused"),
        ("SELECT E'\\'', pg_reload_conf() --'", "pg_reload_conf() is refused"),
        ("SELECT $a$ x $a$, pg_reload_conf()", "pg_reload_conf() is refused"),
        # An E'' literal continued on the next line still reads backslash escapes.
        ("SELECT E'a'\n'\\'', pg_reload_conf() --'", "pg_reload_conf() is refused"),
        ("SELECT E'a'  \n -- between\n  '\\'', pg_reload_conf() --'", "pg_reload_conf() is refused"),
        # A standard literal continued stays standard: its backslash escapes nothing.
        ("SELECT 'a'\n'\\', pg_reload_conf() --'", "pg_reload_conf() is refused"),
        ("SELECT /* a */ 1 /* b */, pg_reload_conf()", "pg_reload_conf() is refused"),
        ("SELECT set_config('x.y', '1', false)", "set_config() is refused: it changes a setting"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock() is refused: it takes an advisory lock"),
        ("SELECT pg_try_advisory_xact_lock(1)", "pg_try_advisory_xact_lock() is refused"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file() is refused: it reads the server's files"),
        ("SELECT pg_read_binary_file('/etc/passwd')", "pg_read_binary_file() is refused"),
        ("SELECT count(*) FROM pg_ls_dir('.')", "pg_ls_dir() is refused"),
        ("SELECT lo_import('/etc/passwd')", "lo_import() is refused"),
        ("SELECT dblink_exec('dbname=app', 'DELETE FROM t')", "dblink_exec() is refused"),
        (
            "SELECT query_to_xml('SELECT pg_terminate_backend(1)', true, true, '')",
            "query_to_xml() is refused",
        ),
        ("SELECT pg_stat_reset()", "pg_stat_reset() is refused"),
        ("SELECT pg_rotate_logfile()", "pg_rotate_logfile() is refused"),
        ("SELECT pg_clear_relation_stats('public', 't')", "pg_clear_relation_stats() is refused"),
        ("SELECT pg_restore_relation_stats('relname', 't')", "pg_restore_relation_stats() is refused"),
        ("SELECT pg_log_standby_snapshot()", "pg_log_standby_snapshot() is refused: it writes to the WAL"),
        ("SELECT pg_qualstats_reset()", "pg_qualstats_reset() is refused: it resets statistics"),
        ("SELECT pg_switch_wal()", "pg_switch_wal() is refused"),
        ('SELECT U&"pg_terminate_backend"(1)', 'a U&"..." name hides what it names'),
        ("SELECT 'unterminated", "cannot be read as SQL: an unterminated string"),
        ("SELECT /* unterminated", "cannot be read as SQL: an unterminated /* comment"),
        ("SELECT $x$ unterminated", "cannot be read as SQL: an unterminated $x$ quote"),
    ],
)
def test_what_is_refused_and_why(sql: str, said: str) -> None:
    reason = refusal(sql)
    assert reason is not None and said in reason and "\n" not in reason, reason


def test_the_final_semicolon_is_dropped_for_the_subquery() -> None:
    assert as_query("SELECT 1;") == "SELECT 1"
    assert as_query("SELECT ';' ; -- done") == "SELECT ';'  -- done"
    assert as_query("SELECT 1") == "SELECT 1"


def test_every_built_in_check_is_a_check() -> None:
    steps = [step for entry in builtin().values() for _, step in entry.checklist.steps]
    sqls = [step.sql for step in steps if isinstance(step, CheckStep) and step.sql is not None]
    assert sqls and all(refusal(sql) is None for sql in sqls)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_validate_refuses_each_attack_naming_what(attack: str) -> None:
    sql, named = ATTACKS[attack]
    text = hostile(sql.format(table="t", pid=4242, marker="/tmp/x"))
    with pytest.raises(ChecklistError) as refused:
        parse_checklist(text, "hostile.toml")
    message = str(refused.value)
    assert message.startswith("hostile.toml: step 'probe', key 'sql': ") and named in message, message
    assert "\n" not in message
