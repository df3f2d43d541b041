"""What a checklist's SQL check may run: one read statement, and no function whose side effects a
read-only transaction does not stop.

A checklist is data that anyone on the team can write, and its ``sql`` runs on the target's
database. The server keeps it from writing (``checklist_checks.read_value``): the text is sent as
a subquery (``SELECT * FROM (...)``: only a query parses there), on the extended protocol (one
statement and no more), inside a READ ONLY transaction whose first query has already run (so
nothing in the text can lift it) and which is always rolled back, on a session that is read-only
by default and closed afterwards. What a read-only transaction does
not stop is refused here, by name and before anything is sent: signalling or ending backends,
reloading the configuration, advisory locks, the server's files, SQL run elsewhere (dblink,
query_to_xml). ``cockpit checklist validate`` refuses it, and so does every run (a run's definition
comes from the journal, which may be a shared database, not from a validated file).

The text is read as PostgreSQL's lexer reads it (``--`` and nested ``/* */`` comments, ``''`` and
``E''`` strings, ``$tag$`` quoting, ``"quoted"`` identifiers; the check's session sets
``standard_conforming_strings`` so that the server agrees about backslashes), so a name inside a
string or a comment is not a call, and one in capitals, quoted or schema-qualified still is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The statements a check may be: a query and nothing else.
READ_STATEMENTS = ("select", "with", "values", "table")

_WRITES = ("insert", "update", "delete", "merge")

# What each refused function does that a read-only transaction lets through, by exact name...
_REFUSED = {
    "pg_cancel_backend": "signals another session",
    "pg_terminate_backend": "ends another session",
    "pg_log_backend_memory_contexts": "signals another session",
    "pg_reload_conf": "reloads the server's configuration",
    "pg_rotate_logfile": "rotates the server's log",
    "pg_rotate_logfile_old": "rotates the server's log",
    "set_config": "changes a setting",
    "pg_switch_wal": "switches the server's WAL file",
    "pg_create_restore_point": "writes a restore point",
    "pg_promote": "promotes a standby",
    "pg_start_backup": "starts a base backup",
    "pg_stop_backup": "stops a base backup",
    "pg_stat_statements_reset": "resets statistics",
    "pg_import_system_collations": "creates collations",
    "pg_read_file": "reads the server's files",
    "pg_read_binary_file": "reads the server's files",
    "pg_stat_file": "reads the server's files",
    "pg_logdir_ls": "reads the server's files",
    "loread": "reads a large object",
    "lowrite": "writes a large object",
    "query_to_xml": "runs SQL given as text",
    "query_to_xmlschema": "runs SQL given as text",
    "query_to_xml_and_xmlschema": "runs SQL given as text",
    "cursor_to_xml": "reads a cursor's SQL",
    "cursor_to_xmlschema": "reads a cursor's SQL",
    "ts_stat": "runs SQL given as text",
    "ts_rewrite": "runs SQL given as text",
    "pg_replication_slot_advance": "moves a replication slot",
    "pg_drop_replication_slot": "drops a replication slot",
    "pg_logical_emit_message": "writes to the WAL",
    "pg_log_standby_snapshot": "writes to the WAL",
    "pg_sync_replication_slots": "changes replication slots",
    "pg_set_relation_stats": "changes the planner's statistics",
    "pg_set_attribute_stats": "changes the planner's statistics",
}
# ... and by the start of the name (a family of functions).
_REFUSED_PREFIXES = {
    "pg_advisory_": "takes an advisory lock",
    "pg_try_advisory_": "takes an advisory lock",
    "pg_ls_": "lists the server's folders",
    "pg_file_": "writes the server's files",
    "lo_": "reads or writes large objects and the server's files",
    "dblink": "runs SQL on another connection",
    "pg_background": "runs SQL in a background worker",
    "pg_stat_reset": "resets statistics",
    "pg_backup_": "starts or stops a base backup",
    "pg_wal_replay_": "pauses or resumes WAL replay",
    "pg_create_": "creates a replication slot",
    "pg_copy_": "copies a replication slot",
    "pg_logical_slot_": "reads a replication slot's changes",
    "pg_replication_origin_": "changes a replication origin",
    # PostgreSQL 18 runs these in a read-only transaction (rolled back here, refused all the same).
    "pg_clear_": "changes the planner's statistics",
    "pg_restore_": "changes the planner's statistics",
}
# ... and by the end of the name: extensions' resets (pg_qualstats_reset, pg_stat_kcache_reset).
_REFUSED_SUFFIXES = {"_reset": "resets statistics"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word" (an unquoted name or keyword, lower-cased), "quoted" (a "quoted" name), ";", "("
    text: str
    at: int  # where it starts in the text


class _Unreadable(ValueError):
    """The text cannot be read as SQL (an unterminated string or comment, a hidden name)."""


_NUMBER = re.compile(r"\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?")
# PostgreSQL's scan.l: quotecontinue = whitespace_with_newline then a quote.
_CONTINUATION = re.compile(r"[ \t\f]*[\n\r](?:[ \t\n\r\f\v]+|--[^\n\r]*[\n\r])*'")
_DOLLAR = re.compile(r"\$([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")


def _word_char(char: str, first: bool) -> bool:
    """PostgreSQL's identifier characters: letters, ``_``, any non-ASCII, and after the first
    character digits and ``$``."""
    if not char.isascii():
        return True
    return char.isalpha() or char == "_" or (not first and (char.isdigit() or char == "$"))


def _tokens(sql: str) -> list[_Token]:
    """The names, semicolons and opening parentheses of ``sql``, outside comments and literals."""
    tokens: list[_Token] = []
    i, end = 0, len(sql)
    while i < end:
        past = _past_ignored(sql, i)
        if past is not None:
            i = past
        elif sql[i] == '"':
            start = i
            text, i = _quoted_name(sql, i)
            tokens.append(_Token("quoted", text, start))
        elif _word_char(sql[i], first=True):
            start = i
            while i < end and _word_char(sql[i], first=False):
                i += 1
            word = sql[start:i].lower()
            if sql.startswith("'", i) and word in ("e", "b", "x", "n"):
                i = _past_string(sql, i, escapes=word == "e")  # E'...' reads backslash escapes
            else:
                tokens.append(_Token("word", word, start))
        else:
            if sql[i] in ";(":
                tokens.append(_Token(sql[i], sql[i], i))
            i += 1
    return tokens


def _past_ignored(sql: str, i: int) -> int | None:
    """The index past the whitespace, comment, literal or number at ``i``; None if there is none."""
    char = sql[i]
    if char.isspace():
        return i + 1
    if sql.startswith("--", i):
        newline = sql.find("\n", i)
        return len(sql) if newline < 0 else newline + 1
    if sql.startswith("/*", i):
        return _past_comment(sql, i)
    if char == "'":
        return _past_string(sql, i, escapes=False)
    if char == "$" and (dollar := _DOLLAR.match(sql, i)):
        close = sql.find(dollar.group(0), dollar.end())
        if close < 0:
            raise _Unreadable(f"an unterminated {dollar.group(0)} quote")
        return close + len(dollar.group(0))
    if char in "uU" and sql.startswith("&", i + 1) and sql[i + 2 : i + 3] in ("'", '"'):
        if sql[i + 2] == '"':
            raise _Unreadable('a U&"..." name hides what it names: write the name plainly')
        return _past_string(sql, i + 2, escapes=False)
    if number := _NUMBER.match(sql, i):
        return number.end()
    return None


def _past_comment(sql: str, start: int) -> int:
    """Past a ``/* */`` comment; they nest."""
    depth, i = 0, start
    while i < len(sql):
        if sql.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif sql.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise _Unreadable("an unterminated /* comment")


def _past_string(sql: str, start: int, *, escapes: bool) -> int:
    """Past a ``'...'`` literal (``''`` is a quote; in ``E'...'`` so is ``\\'``), and past its
    continuations: a literal, whitespace with a newline (and ``--`` comments), then ``'`` goes on
    as the same literal, so an ``E'...'`` continued still reads backslash escapes."""
    i = start + 1
    while i < len(sql):
        char = sql[i]
        if (escapes and char == "\\") or sql.startswith("''", i):
            i += 2
        elif char == "'":
            continued = _CONTINUATION.match(sql, i + 1)
            if continued is None:
                return i + 1
            i = continued.end()
        else:
            i += 1
    raise _Unreadable("an unterminated string")


def _quoted_name(sql: str, start: int) -> tuple[str, int]:
    """A ``"quoted"`` name's text (``""`` is a quote) and the index past it."""
    i, parts = start + 1, []
    while i < len(sql):
        close = sql.find('"', i)
        if close < 0:
            break
        parts.append(sql[i:close])
        if sql.startswith('""', close):
            parts.append('"')
            i = close + 2
        else:
            return "".join(parts), close + 1
    raise _Unreadable('an unterminated "quoted" name')


def refused_function(name: str, *, called: bool = True) -> str | None:
    """What the function ``name`` does that a read-only transaction does not stop, or None if it
    may run. A family (``lo_*``) is matched only where the name is ``called`` (followed by a
    parenthesis): a table named ``lo_items`` is not a call. Exact names are refused anywhere.
    Each of the signals, resets, WAL switches, restore points and statistics changes listed ran
    inside ``BEGIN READ ONLY`` on PostgreSQL 18."""
    name = name.lower()
    if name in _REFUSED:
        return _REFUSED[name]
    if not called:
        return None
    for prefix, why in _REFUSED_PREFIXES.items():
        if name.startswith(prefix):
            return why
    return next((why for suffix, why in _REFUSED_SUFFIXES.items() if name.endswith(suffix)), None)


def refusal(sql: str) -> str | None:
    """Why a check may not run ``sql`` (one line, naming the statement or the function), or None."""
    try:
        tokens = _tokens(sql)
    except _Unreadable as exc:
        return f"cannot be read as SQL: {exc}"
    statements: list[list[_Token]] = [[]]
    for token in tokens:
        if token.kind == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    statements = [s for s in statements if s]
    if not statements:
        return "no statement: a check is one SELECT that returns one number"
    if len(statements) > 1:
        kinds = ", ".join(_first_word(s).upper() or "?" for s in statements)
        return f"{len(statements)} statements ({kinds}): a check is one read statement, no more"
    first = _first_word(statements[0])
    if first not in READ_STATEMENTS:
        what = first.upper() or "this"
        return f"{what} is not a read: a check is one SELECT (or WITH ... SELECT, VALUES, TABLE)"
    return _writes(statements[0]) or _refused_call(statements[0])


def _writes(statement: list[_Token]) -> str | None:
    """A read statement that writes all the same: a data-modifying WITH, SELECT INTO, FOR UPDATE."""
    words = [t.text for t in statement if t.kind == "word"]
    for i, word in enumerate(words):
        if word == "for" and words[i + 1 : i + 2] in (["update"], ["share"], ["no"], ["key"]):
            return "FOR UPDATE / FOR SHARE locks rows: a check only reads"
        if word in _WRITES:
            return f"{word.upper()} changes data: a check only reads"
        if word == "into":
            return "SELECT ... INTO creates a table: a check only reads"
    return None


def _refused_call(statement: list[_Token]) -> str | None:
    for token, after in zip(statement, [*statement[1:], None], strict=True):
        called = after is not None and after.kind == "("
        if token.kind in ("word", "quoted") and (why := refused_function(token.text, called=called)):
            name = token.text.lower()
            return f"{name}() is refused: it {why}, which a read-only transaction does not stop"
    return None


def as_query(sql: str) -> str:
    """A check's statement without its final semicolon (``SELECT 1;``), to be sent as a subquery."""
    try:
        tokens = _tokens(sql)
    except _Unreadable:
        return sql  # refusal() refuses it; sent anyway (a test's), the server says why
    if tokens and tokens[-1].kind == ";":
        return sql[: tokens[-1].at] + sql[tokens[-1].at + 1 :]
    return sql


def _first_word(statement: list[_Token]) -> str:
    """The statement's first keyword, past any opening parentheses (``(SELECT 1)``)."""
    for token in statement:
        if token.kind != "(":
            return token.text if token.kind == "word" else ""
    return ""
