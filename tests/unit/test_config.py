"""Config: the example loads; every kind of mistake is one message with file, key and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cockpit.config import load_config, parse_config
from cockpit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
[settings]
default_target = "prod"

[targets.prod]
protected = true

[[targets.prod.databases]]
name = "app"
dsn = "postgresql://cockpit@db:5432/app"
password = "keyring:prod-db"
"""

HEALTH = '[targets.a]\n[[targets.a.health]]\nname = "api"\nurl = "https://api/health"\n'
STORE = '[targets.a]\n[[targets.a.backups]]\nname = "b"\nkind = "folder"\npath = "/x"\n'
WINDOW = '[targets.a]\n[[targets.a.maintenance_windows]]\nname = "w"\n'


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/etc/cockpit.toml"))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_example_config_loads_and_documents_every_key() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert set(config.targets) == {"staging", "prod"}
    staging = config.targets["staging"]
    assert staging.databases[0].password == "keyring:staging-db"
    assert config.thresholds_for(staging).slow_query_ms == 1000
    assert config.thresholds_for(config.targets["prod"]).slow_query_ms == 500
    text = (ROOT / "config.example.toml").read_text()
    from cockpit import config as module

    for struct in (
        module.Settings,
        module.Thresholds,
        module.Database,
        module.HealthEndpoint,
        module.BackupStore,
        module.Certificate,
        module.Secret,
        module.MaintenanceWindow,
        module.Archive,
        module.CloudKeys,
        module.Target,
    ):
        for field in struct.__struct_fields__:
            assert f"{field} " in text or f"{field}]" in text or f".{field}" in text, (
                f"config.example.toml does not document {struct.__name__}.{field}"
            )


def test_defaults_are_the_runbooks_numbers() -> None:
    config = parse_config(GOOD)
    t = config.thresholds
    assert (t.slow_query_ms, t.latency_p95_warn_ms, t.latency_p95_crit_ms) == (500, 500, 2000)
    assert (t.error_rate_warn_pct, t.error_rate_crit_pct) == (1, 5)
    assert (t.cert_warn_days, t.cert_crit_days, t.key_rotation_days) == (30, 7, 90)


def test_threshold_overrides_are_the_thresholds_each_optional() -> None:
    import typing

    from cockpit.config import ThresholdOverrides, Thresholds

    def types(struct: type) -> dict[str, Any]:
        return typing.get_type_hints(struct)

    assert types(ThresholdOverrides) == {name: kind | None for name, kind in types(Thresholds).items()}
    config = parse_config(GOOD + "[targets.prod.thresholds]\ncert_warn_days = 14\nslow_query_ms = 250\n")
    thresholds = config.thresholds_for(config.targets["prod"])
    assert (thresholds.cert_warn_days, thresholds.slow_query_ms, thresholds.cert_crit_days) == (14, 250, 7)
    assert type(thresholds.cert_warn_days) is int
    message = error_of("[targets.a.thresholds]\ncert_warn_days = 14.5\n")
    assert (
        message
        == "/etc/cockpit.toml:2: targets.a.thresholds.cert_warn_days: Expected `int | null`, got `float`"
    )


def test_the_deprecated_disk_warn_pct_loads_and_is_ignored() -> None:
    config = parse_config(
        GOOD + "[thresholds]\ndisk_warn_pct = 70\n[targets.prod.thresholds]\ndisk_warn_pct = 90\n"
    )
    assert not hasattr(config.thresholds, "disk_warn_pct")
    assert config.thresholds_for(config.targets["prod"]) == config.thresholds
    assert "disk_warn_pct" not in (ROOT / "config.example.toml").read_text()


def test_refresh_from_the_command_line_overrides_the_file() -> None:
    config = parse_config(GOOD)
    assert config.with_refresh(None) is config
    faster = config.with_refresh(0.5)
    assert faster.settings.refresh_interval_s == 0.5
    assert faster.settings.statement_timeout_ms == config.settings.statement_timeout_ms
    assert config.settings.refresh_interval_s == 2.0  # the loaded config is left as it was


def test_unknown_key_is_an_error_with_its_path_and_line() -> None:
    text = GOOD + 'dns = "oops"\n'
    message = error_of(text)
    assert message.startswith("/etc/cockpit.toml:12: targets.prod.databases[0].dns: unknown key")


def test_unknown_top_level_table() -> None:
    assert error_of("[setings]\nx = 1\n").startswith("/etc/cockpit.toml:1: setings: unknown key")


def test_wrong_type_names_the_expected_type() -> None:
    message = error_of(GOOD.replace("protected = true", 'protected = "yes"'))
    assert message == ("/etc/cockpit.toml:6: targets.prod.protected: Expected `bool`, got `str`")


def test_a_password_in_the_config_is_refused() -> None:
    message = error_of(GOOD.replace('"keyring:prod-db"', '"hunter2"'))
    assert "cockpit secret set" in message and "hunter2" not in message
    assert ":8:" in message  # the [[targets.prod.databases]] entry


def test_a_password_inside_the_dsn_is_refused() -> None:
    for dsn in ("postgresql://cockpit:hunter2@db/app", "host=db password=hunter2"):
        message = error_of(GOOD.replace("postgresql://cockpit@db:5432/app", dsn))
        assert "contains a password" in message and "hunter2" not in message


@pytest.mark.parametrize(
    "dsn",
    [
        # A key/value DSN holding `://` anywhere was read as a URL, and its password passed.
        "host=db password=hunter2 application_name=cockpit://x",
        "dbname=app password = 'hunter2' options='-c search_path=a://b'",
        # libpq percent-decodes a URI's parameters: `pass%77ord` is `password` to it.
        "postgresql://cockpit@db/app?pass%77ord=hunter2",
        "postgres://cockpit@db/app?sslmode=require&%70assword=hunter2",
        "postgresql://:hunter2@db/app",
        "postgresql://cockpit:hunter2@db1:5432,db2:5432/app",
        "host=db sslpassword=hunter2",  # the client key's passphrase is a secret too
    ],
)
def test_a_password_libpq_would_read_from_the_dsn_is_refused(dsn: str) -> None:
    message = error_of(GOOD.replace("postgresql://cockpit@db:5432/app", dsn))
    assert message.startswith("/etc/cockpit.toml:8: targets.prod.databases[0]: `dsn` contains a password")
    assert "hunter2" not in message


def test_the_other_dsns_and_urls_are_checked_the_same_way() -> None:
    store = GOOD + (
        '[[targets.prod.backups]]\nname = "b"\nkind = "folder"\npath = "/x"\n'
        'scratch_dsn = "host=scratch password=hunter2 application_name=a://b"\n'
    )
    assert "targets.prod.backups[0]: `scratch_dsn` contains a password" in error_of(store)
    state = '[state]\nurl = "postgresql://journal@db/cockpit?pass%77ord=hunter2"\n' + GOOD
    assert "state: `url` contains a password" in error_of(state)


def test_a_dsn_libpq_cannot_parse_that_may_hold_a_password_is_refused_without_quoting_it() -> None:
    message = error_of(GOOD.replace("postgresql://cockpit@db:5432/app", "host=db password='hunter2"))
    assert "libpq cannot parse it" in message and "hunter2" not in message


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://cockpit@db:5432/app",
        "postgresql://cockpit@[::1]:5432/app?application_name=a:b",
        "host=db user=cockpit dbname=app passfile=/home/c/.pgpass",
        "host=db dbname=passwords",  # the word alone, not the keyword
    ],
)
def test_dsns_without_a_password_load(dsn: str) -> None:
    config = parse_config(GOOD.replace("postgresql://cockpit@db:5432/app", dsn))
    assert config.targets["prod"].databases[0].dsn == dsn


def test_invalid_toml_gives_the_parser_line() -> None:
    message = error_of("[settings]\nrefresh_interval_s = \n")
    assert message.startswith("/etc/cockpit.toml: invalid TOML") and "line 2" in message


def test_missing_required_key() -> None:
    message = error_of("[targets.a]\n[[targets.a.databases]]\nname = 'x'\n")
    assert message == "/etc/cockpit.toml:2: targets.a.databases[0]: required key `dsn` is missing"


def test_bad_duration_and_window() -> None:
    message = error_of("[targets.a]\n[[targets.a.maintenance_windows]]\nname='w'\nweekly='sunday-ish'\n")
    assert "weekly" in message and "sun 02:00" in message
    message = error_of("[targets.a]\n[[targets.a.backups]]\nname='b'\nkind='folder'\npath='/x'\nrpo='soon'\n")
    assert message == (
        "/etc/cockpit.toml:6: targets.a.backups[0].rpo: "
        "expected a duration like 30s, 15m, 24h, 7d or 1h30m, got 'soon'"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[settings]\nhistory_retention = 'a week'\n", ":2: settings.history_retention: expected a duration like"),
        ("[settings]\nwindow_warning = 15\n", ":2: settings.window_warning: expected a duration like 30s, 15m, 24h, 7d or 1h30m, got 15"),
        (STORE + "schedule = '1 day'\n", ":6: targets.a.backups[0].schedule: expected a duration like"),
        (STORE + "schedule = '0s'\n", ":2: targets.a.backups[0]: `schedule` must be longer than 0s, got '0s'"),
        ("[targets.a]\n[[targets.a.secrets]]\nname = 's'\ngrace = '-1h'\n", ":4: targets.a.secrets[0].grace: expected a duration"),
        ("[targets.a]\n[[targets.a.archives]]\nolder_than = '90 days ago'\n", ":3: targets.a.archives[0].older_than: expected a duration"),
        ("[targets.a]\n[[targets.a.archives]]\nolder_than = '0d'\n", ":2: targets.a.archives[0]: `older_than` must be longer than 0s"),
    ],
)  # fmt: skip
def test_a_duration_is_parsed_at_load_and_a_bad_one_names_its_key_and_line(text: str, expected: str) -> None:
    assert error_of(text).startswith("/etc/cockpit.toml" + expected)


def test_durations_are_timedeltas_that_read_as_written() -> None:
    from datetime import timedelta

    config = parse_config(
        GOOD.replace("[settings]\n", "[settings]\nwindow_warning = '0s'\n")
        + "[[targets.prod.backups]]\nname='b'\nkind='folder'\npath='/x'\nrpo='1h30m'\n"
        + "[[targets.prod.secrets]]\nname='s'\ngrace='0s'\n"
    )
    store, secret = config.targets["prod"].backups[0], config.targets["prod"].secrets[0]
    assert store.rpo == timedelta(minutes=90) and f"within the RPO ({store.rpo})" == "within the RPO (1h30m)"
    assert store.schedule == timedelta(hours=24)  # the default, a Duration too
    assert secret.grace == timedelta(0) and config.settings.window_warning == timedelta(0)  # 0s: allowed here
    assert (config.settings.history_retention, str(config.settings.history_retention)) == (
        timedelta(days=7),
        "7d",
    )


def test_unknown_threshold_override_and_missing_default_target() -> None:
    message = error_of("[targets.a.thresholds]\nslow_query = 3\n")
    assert message == (
        "/etc/cockpit.toml:2: targets.a.thresholds.slow_query: unknown key (a typo? config.example.toml lists every key)"
    )
    message = error_of('[settings]\ndefault_target = "nope"\n[targets.a]\n')
    assert message.startswith("/etc/cockpit.toml:2: settings.default_target")


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found: copy config.example.toml"):
        load_config(tmp_path / "nope.toml")


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.config import find_config_path

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "env.toml"))
    assert find_config_path("explicit.toml") == Path("explicit.toml")
    assert find_config_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("COCKPIT_CONFIG")
    assert find_config_path(None).name == "cockpit.toml"


def test_target_choice() -> None:
    config = parse_config(GOOD + "[targets.staging]\n")
    assert config.target(None)[0] == "prod"
    assert config.target("staging")[0] == "staging"
    with pytest.raises(ConfigError, match="no target 'qa' .configured: prod, staging."):
        config.target("qa")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # nan compares false with every bound: it passed, and Health said "starting..." forever.
        ("[settings]\nrefresh_interval_s = nan\n", ":2: settings.refresh_interval_s: nan is not a finite number"),
        ("[settings]\nrefresh_interval_s = inf\n", ":2: settings.refresh_interval_s: inf is not a finite number"),
        ("[settings]\nrefresh_interval_s = 1e308\n", ":2: settings.refresh_interval_s: must be at most 3600"),
        ("[settings]\nrefresh_interval_s = 0.1\n", ":2: settings.refresh_interval_s: must be at least 0.2"),
        ("[settings]\nstatement_timeout_ms = 1e12\n", ":2: settings.statement_timeout_ms: Expected `int`"),
        ("[settings]\nstatement_timeout_ms = 99999999999\n", ":2: settings.statement_timeout_ms: must be at most 3.6e+06"),
        ("[settings]\nsecrets_interval_s = -1\n", ":2: settings.secrets_interval_s: must be at least 1"),
        ("[settings]\nbackups_interval_s = 0\n", ":2: settings.backups_interval_s: must be at least 1"),
        ("[settings]\nhistory_retention = '0s'\n", ":1: settings: `history_retention` must be longer than 0s"),
        (HEALTH + "interval_s = 0\n", ":5: targets.a.health[0].interval_s: must be at least 0.2"),
        (HEALTH + "timeout_s = -1\n", ":5: targets.a.health[0].timeout_s: must be more than 0"),
        (HEALTH + "expect_status = 2000\n", ":5: targets.a.health[0].expect_status: must be at most 599"),
        ("[targets.a]\narm_minutes = -5\n", ":2: targets.a.arm_minutes: must be at least 1"),
        ("[targets.a]\narm_minutes = 1e300\n", ":2: targets.a.arm_minutes: must be at most 1440"),
        (
            "[targets.a]\n[[targets.a.certificates]]\nname = 'c'\nhost = 'h'\nport = 70000\n",
            ":5: targets.a.certificates[0].port: must be at most 65535",
        ),
        (WINDOW + "weekly = 'sun 02:00'\nduration = '0s'\n", ":2: targets.a.maintenance_windows[0]: `duration` must be longer than 0s"),
        (WINDOW + "at = '9999-12-31T23:00'\n", ":2: targets.a.maintenance_windows[0]: `at` must be a date between 1970 and 2999"),
        (STORE + "retention_days = -1\n", ":6: targets.a.backups[0].retention_days: must be at least 1"),
        (STORE + "rpo = '0s'\n", ":2: targets.a.backups[0]: `rpo` must be longer than 0s"),
        ("[targets.a.thresholds]\nslow_query_ms = nan\n", ":2: targets.a.thresholds.slow_query_ms: nan is not a finite number"),
        ("[thresholds]\nlatency_p95_warn_ms = -inf\n", ":2: thresholds.latency_p95_warn_ms: -inf is not a finite number"),
    ],
)  # fmt: skip
def test_values_that_make_no_sense_are_refused_with_their_key_and_line(text: str, expected: str) -> None:
    assert error_of(text).startswith("/etc/cockpit.toml" + expected)


def test_two_entries_of_the_same_name_are_refused_at_the_second() -> None:
    text = GOOD + '\n[[targets.prod.databases]]\nname = "app"\ndsn = "host=other"\n'
    assert error_of(text) == (
        "/etc/cockpit.toml:14: targets.prod.databases[1].name: 'app' is already the name of "
        "databases[0]: give each its own name"
    )
    twice = HEALTH + '[[targets.a.health]]\nname = "api"\nurl = "https://other/health"\n'
    assert error_of(twice).startswith("/etc/cockpit.toml:6: targets.a.health[1].name: 'api' is already")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[settings]\nrefresh_interval_s = 2\n\xff\xfe = 1\n", ":3: not UTF-8 text (byte 0xff)"),
        (bytes(range(256)) * 8, ":2: not UTF-8 text (byte 0x80)"),  # binary garbage (0x0a is line 2)
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", ": arrays or tables nested too deeply to read"),
        (b"[targets.a]\nthresholds = " + b"{a=" * 400 + b"1" + b"}" * 400 + b"\n", ": arrays or tables nested"),
        (STORE.encode() + b"rpo = '99999999999999999999d'\n", ":6: targets.a.backups[0].rpo: at most 3650d"),
        (WINDOW.encode() + b"weekly = 'sun 02:00'\nduration = '1e400h'\n", ":5: targets.a.maintenance_windows[0].duration: expected a duration"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_config_at_all_is_one_line_with_where(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    """These were an "internal error" (exit 70, a traceback in crash.log) with no file or line."""
    path = tmp_path / "cockpit.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{expected}") and "\n" not in message
