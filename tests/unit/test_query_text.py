"""The Queries pane's pure parts: the filter line, and statement texts made ready for EXPLAIN."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cockpit.actions.explain import ExplainRefused, parameter_count, parse_values, single_statement
from cockpit.probes.queries import Session, Statement
from cockpit.probes.query_filter import FilterError, parse_filter

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def session(user: str, database: str, age: float | None, query: str, application: str = "api") -> Session:
    return Session(
        1, user, database, application, "local", "active", "", NOW, None, None, age, age, query, ()
    )


def test_filter_keys_and_words() -> None:
    f = parse_filter("user:app db:shop min:30s Feature_Flags")
    assert (f.user, f.database, f.min_seconds, f.words) == ("app", "shop", 30.0, ("feature_flags",))
    assert f.keeps_session(session("app", "shop", 31, "UPDATE feature_flags SET x = 1"))
    assert not f.keeps_session(session("app", "shop", 29, "UPDATE feature_flags SET x = 1"))
    assert not f.keeps_session(session("bob", "shop", 31, "UPDATE feature_flags SET x = 1"))
    assert not f.keeps_session(session("app", "other", 31, "UPDATE feature_flags SET x = 1"))
    assert not f.keeps_session(session("app", "shop", 31, "SELECT 1"))
    assert not f.keeps_session(session("app", "shop", None, "UPDATE feature_flags SET x = 1"))
    assert f.describe() == "user:app db:shop min:30s feature_flags"


def test_filter_on_statements_uses_the_mean() -> None:
    slow = Statement(1, "app", "shop", 10, 6000.0, 600.0, 10, 0, 0, "SELECT pg_sleep($1)")
    fast = Statement(2, "app", "shop", 10, 10.0, 1.0, 10, 0, 0, "SELECT pg_sleep($1)")
    f = parse_filter("min:0.5s sleep")
    assert f.keeps_statement(slow) and not f.keeps_statement(fast)
    assert not parse_filter("").active and parse_filter("").keeps_statement(fast)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("usr:app", "unknown filter usr: (use user:, db:, min: or plain words)"),
        ("user:", "user: needs a value, e.g. user:app"),
        ("min:soon", "min: expected a duration like 30s, 15m, 24h, 7d or 1h30m, got 'soon'"),
    ],
)
def test_filter_errors_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(FilterError) as error:
        parse_filter(text)
    assert str(error.value) == message


def test_casts_are_words_not_keys() -> None:
    assert parse_filter("id::text").words == ("id::text",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1;", "SELECT 1"),
        ("SELECT ';' FROM t -- trailing; comment", "SELECT ';' FROM t"),
        ('SELECT "a;b", $$x;y$$, $f$;$f$, /* ; */ 1', 'SELECT "a;b", $$x;y$$, $f$;$f$, /* ; */ 1'),
        ("SELECT E'it\\'s;'  ;  ", "SELECT E'it\\'s;'"),
    ],
)
def test_one_statement_passes(text: str, expected: str) -> None:
    assert single_statement(text) == expected


@pytest.mark.parametrize("text", ["SELECT 1; SELECT 2", "SELECT 1;DROP TABLE t;", "  ", "-- only a comment"])
def test_several_statements_or_none_are_refused(text: str) -> None:
    with pytest.raises(ExplainRefused):
        single_statement(text)


def test_parameters_outside_strings() -> None:
    assert parameter_count("SELECT $1, '$9', $tag$ $8 $tag$, $2 -- $7") == 2
    assert parameter_count("SELECT 1") == 0


def test_values_for_parameters() -> None:
    assert parse_values('42, "a, b", NULL', 3) == ("42", "a, b", None)
    with pytest.raises(ExplainRefused, match="takes 2 values"):
        parse_values("1", 2)


def test_min_takes_milliseconds_and_is_named_as_typed() -> None:
    """`min:100ms` was refused (no ms unit), though a statement's mean is milliseconds."""
    f = parse_filter("min:100ms")
    assert f.min_seconds == 0.1 and f.describe() == "min:100ms"
    slow = Statement(1, "app", "shop", 10, 6000.0, 600.0, 10, 0, 0, "SELECT pg_sleep($1)")
    fast = Statement(2, "app", "shop", 10, 10.0, 0.058, 10, 0, 0, "SELECT 1")
    assert f.keeps_statement(slow) and not f.keeps_statement(fast)
