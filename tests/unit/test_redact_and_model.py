"""Redaction and severities."""

from __future__ import annotations

from cockpit import redact
from cockpit.model import Finding, Severity, Snapshot


def test_remembered_values_are_masked_everywhere() -> None:
    redact.remember("correct-horse-battery")
    assert redact.redact("password=correct-horse-battery;") == f"password={redact.MASK};"
    clean = redact.redact_params(
        {"token": "abc", "ref": "keyring:x", "nested": {"api_key": "k"}, "note": "correct-horse-battery"}
    )
    assert clean == {
        "token": redact.MASK,
        "ref": "keyring:x",
        "nested": {"api_key": redact.MASK},
        "note": redact.MASK,
    }


def test_worst_severity_follows_nagios() -> None:
    assert Severity.worst([]) is Severity.OK
    assert Severity.worst([Severity.OK, Severity.WARN]) is Severity.WARN
    assert Severity.worst([Severity.WARN, Severity.UNKNOWN]) is Severity.UNKNOWN
    assert Severity.worst([Severity.UNKNOWN, Severity.CRIT]) is Severity.CRIT
    assert [s.exit_code for s in Severity] == [0, 1, 2, 3]
    snap = Snapshot(pane="health", findings=[Finding("c", "s", Severity.WARN, "m")])
    assert snap.severity is Severity.WARN
    assert snap.findings[0].as_json("health")["severity"] == "warn"


def test_password_literals_in_sql_are_masked() -> None:
    from cockpit.redact import MASK, redact_sql

    assert redact_sql("CREATE ROLE a LOGIN PASSWORD 'it''s;secret' VALID UNTIL '2027-01-01'") == (
        f"CREATE ROLE a LOGIN PASSWORD '{MASK}' VALID UNTIL '2027-01-01'"
    )
    assert (
        redact_sql("alter user b with encrypted password E'x\\'y'")
        == f"alter user b with encrypted password '{MASK}'"
    )
    assert redact_sql("ALTER ROLE c PASSWORD $p$dollar'quoted$p$") == f"ALTER ROLE c PASSWORD '{MASK}'"
    assert (
        redact_sql("SELECT password FROM users WHERE id = $1") == "SELECT password FROM users WHERE id = $1"
    )
