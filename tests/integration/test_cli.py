"""The real `cockpit` command: check, usage errors, bad config, sandbox up/down."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from cockpit.sandbox.manager import Sandbox, SandboxStatus
from cockpit.sandbox.processes import pid_alive, port_is_listening


def test_check_json_on_the_sandbox(sandbox: Sandbox, run_cockpit) -> None:
    """The sandbox's failing endpoint makes it CRIT (exit 2); each finding has every field."""
    result = run_cockpit("check", "--config", str(sandbox.config_path), "--json")
    assert result.returncode == 2, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "crit"
    for finding in body["findings"]:
        assert set(finding) >= {"pane", "check", "subject", "severity", "message", "value", "threshold"}
        assert finding["severity"] in {"ok", "warn", "crit", "unknown"}
    by_key = {(f["check"], f["subject"]): f for f in body["findings"]}
    assert by_key[("http.status", "failing")]["severity"] == "crit"
    assert by_key[("http.status", "failing")]["message"] == "unexpected status 503 (expected 200)"
    assert by_key[("http.latency_p95", "slow")]["severity"] == "warn"
    assert by_key[("http.status", "healthy")]["severity"] == "ok"
    assert by_key[("postgres.reachable", "app")]["severity"] == "ok"
    quiet = run_cockpit("check", "--config", str(sandbox.config_path), "--json", "--pane", "checklists")
    assert quiet.returncode == 0 and json.loads(quiet.stdout) == {"status": "ok", "findings": []}
    secrets = run_cockpit("check", "--config", str(sandbox.config_path), "--json", "--pane", "secrets")
    assert secrets.returncode == 2  # the reporting role's password expires in 4 days, a certificate in 5
    flagged = {(f["check"], f["subject"], f["severity"]) for f in json.loads(secrets.stdout)["findings"]}
    assert {
        ("secret.role_expiry", "app:reporting", "crit"),
        ("secret.rotation", "payments-api-key", "warn"),
    } <= flagged
    bloat = run_cockpit("check", "--config", str(sandbox.config_path), "--json", "--pane", "bloat")
    assert bloat.returncode == 1  # the sandbox's tables with autovacuum off: WARN
    flagged = {(f["check"], f["subject"]) for f in json.loads(bloat.stdout)["findings"]}
    assert {
        ("bloat.table", "app:public.user_feedback"),
        ("bloat.dead_tuples", "app:public.audit_log"),
    } <= flagged
    queries = json.loads(
        run_cockpit("check", "--config", str(sandbox.config_path), "--json", "--pane", "queries").stdout
    )
    assert {f["pane"] for f in queries["findings"]} == {"queries"}
    assert any(f["check"] == "queries.blocking" for f in queries["findings"])


def test_check_exits_2_when_a_database_is_down(tmp_path: Path, run_cockpit) -> None:
    from cockpit.sandbox.processes import free_port

    config = tmp_path / "c.toml"
    config.write_text(f"""
[targets.broken]
[[targets.broken.databases]]
name = "gone"
dsn = "postgresql://postgres@127.0.0.1:{free_port()}/app"
""")
    result = run_cockpit("check", "--config", str(config), "--json", "--pane", "health")
    assert result.returncode == 2
    body = json.loads(result.stdout)
    assert body["status"] == "crit" and body["findings"][0]["subject"] == "gone"
    table = run_cockpit("check", "--config", str(config))
    assert table.returncode == 2 and "CRIT" in table.stdout
    # Nagios shows the first line: the status and what is wrong, before the table.
    first, header = table.stdout.splitlines()[:2]
    assert first.startswith("OPS-COCKPIT CRITICAL - 4 critical of 4 checks: gone: database gone: ")
    assert first.count("database gone") == 1 and "|" not in first  # one cause, said once
    assert header.split() == ["PANE", "CHECK", "SUBJECT", "SEVERITY", "MESSAGE"]


def test_check_plain_output_is_a_nagios_plugins(sandbox: Sandbox, run_cockpit) -> None:
    """First line `OPS-COCKPIT STATUS - summary | perfdata` (every value, with its unit and
    thresholds), then the table; --problems lists only what is not ok, and keeps the perfdata."""
    result = run_cockpit("check", "--config", str(sandbox.config_path), "--pane", "health,bloat")
    assert result.returncode == 2, result.stderr
    first, *table = result.stdout.splitlines()
    status, _, perfdata = first.partition(" | ")
    assert re.fullmatch(r"OPS-COCKPIT CRITICAL - \d+ critical, \d+ warning of \d+ checks: .+", status)
    assert "failing: unexpected status 503 (expected 200)" in status
    labels = dict(item.split("=", 1) for item in re.findall(r"'[^']+'=\S+", perfdata))
    assert re.fullmatch(r"[\d.]+ms;500;2000", labels["'healthy http.latency_p95'"])
    assert re.fullmatch(r"[\d.]+%;80;95", labels["'app postgres.connections'"])
    assert re.fullmatch(r"[\d.]+%;30;60", labels["'app:public.user_feedback bloat.table'"])
    assert re.fullmatch(r"[\d.]+ms;;", labels["'healthy http.status'"])  # a latency, no threshold
    assert any(" OK " in line for line in table)
    problems = run_cockpit(
        "check", "--config", str(sandbox.config_path), "--pane", "health,bloat", "--problems"
    )
    assert problems.returncode == 2
    first, *table = problems.stdout.splitlines()
    assert first.partition(" | ")[2].count("'=") == perfdata.count("'=")  # the same perfdata
    assert table[1:] and not any(line.split()[3] == "OK" for line in table[1:])
    assert {line.split()[3] for line in table[1:]} <= {"WARN", "CRIT", "UNKNOWN"}
    as_json = run_cockpit(
        "check", "--config", str(sandbox.config_path), "--pane", "health", "--json", "--problems"
    )
    body = json.loads(as_json.stdout)
    assert body["status"] == "crit" and body["findings"]
    assert all(f["severity"] != "ok" for f in body["findings"])


@pytest.mark.parametrize(
    "args,expected",
    [
        (["check", "--pane", "nope"], "unknown pane nope"),
        (["check", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["check", "--config", "/nonexistent/c.toml"], "config file not found"),
        (["check", "--target", "qa"], "no target 'qa'"),
        (["backup", "list", "--target", "qa"], "no target 'qa'"),
        (["backup", "list", "--store", "nope"], "no backup store 'nope'"),
    ],
)
def test_usage_errors_of_a_monitoring_command_are_unknown(
    args: list[str], expected: str, sandbox: Sandbox, run_cockpit
) -> None:
    """Nagios reads exit 2 as CRITICAL and pages: a check that could not run is UNKNOWN (3)."""
    if "--config" not in args:
        args = [*args, "--config", str(sandbox.config_path)]
    result = run_cockpit(*args)
    assert result.returncode == 3, result.stdout + result.stderr
    assert expected in result.stderr and result.stderr.count("\n") == 1
    if args[0] == "check":  # its stdout's first line is what Nagios shows
        assert result.stdout.startswith("OPS-COCKPIT UNKNOWN - ") and expected in result.stdout


@pytest.mark.parametrize(
    "args,expected",
    [
        (["sandbox"], "the following arguments are required"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--config", "/nonexistent/c.toml"], "config file not found"),
        (["backup", "run", "--config", "/nonexistent/c.toml"], "config file not found"),
        (["--refresh", "0.05"], "give 0.2 to 3600 seconds"),
        (["demo", "--refresh", "soon"], "'soon' is not a number of seconds"),
        (["serve", "--host", "0.0.0.0"], "add --allow-remote to bind it anyway"),
        (["serve", "--host", "192.0.2.1", "--port", "1"], "is not a loopback address"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], expected: str, run_cockpit) -> None:
    result = run_cockpit(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_bad_config_names_file_and_line(tmp_path: Path, run_cockpit) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[targets.prod]\nprotected = true\nreadonly = true\n")
    for args in (["--config", str(config)], ["check", "--config", str(config)]):
        result = run_cockpit(*args)
        assert result.returncode == (3 if args[0] == "check" else 2)  # a check that cannot run: UNKNOWN
        assert (
            result.stderr
            == f"cockpit: {config}:3: targets.prod.readonly: unknown key (a typo? config.example.toml lists every key)\n"
        )


def test_bad_target_is_a_usage_error(sandbox: Sandbox, run_cockpit) -> None:
    result = run_cockpit("--config", str(sandbox.config_path), "--target", "qa")
    assert result.returncode == 2 and "no target 'qa'" in result.stderr


def test_version_and_help_on_every_command(run_cockpit) -> None:
    assert run_cockpit("--version").stdout.startswith("ops-cockpit ")
    for command in (
        [],
        ["demo"],
        ["sandbox"],
        ["sandbox", "up"],
        ["sandbox", "down"],
        ["check"],
        ["secret"],
        ["secret", "set"],
        ["secret", "list"],
        ["secret", "delete"],
        ["secret", "unlock"],
        ["serve"],
    ):
        result = run_cockpit(*command, "--help")
        assert result.returncode == 0 and "usage: cockpit" in result.stdout


def test_python_dash_m_cockpit_works() -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "cockpit", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("ops-cockpit ")


def test_sandbox_up_and_down_leave_nothing_behind(tmp_path: Path, run_cockpit) -> None:
    folder = tmp_path / "box"
    up = run_cockpit("sandbox", "up", "--dir", str(folder))
    try:
        assert up.returncode == 0, up.stderr
        check_sandbox_lifecycle(folder, Path(up.stdout.strip()), run_cockpit)
    finally:  # a failed assertion must not leave servers running
        run_cockpit("sandbox", "down", "--dir", str(folder))


def check_sandbox_lifecycle(folder: Path, config_path: Path, run_cockpit) -> None:  # type: ignore[no-untyped-def]
    assert config_path == folder / "cockpit.toml" and config_path.exists()
    status = SandboxStatus.load(folder)
    ports = [p for p in status.all_ports() if p]
    pids = [status.weed_pid, status.services_pid]
    assert all(port_is_listening(p) for p in [status.postgres_port, *status.https_ports.values()])
    check = run_cockpit("check", "--config", str(config_path), "--json")
    assert check.returncode == 2 and json.loads(check.stdout)["status"] == "crit", check.stderr
    again = run_cockpit("sandbox", "up", "--dir", str(folder))
    assert again.returncode == 1 and "already running" in again.stderr
    down = run_cockpit("sandbox", "down", "--dir", str(folder))
    assert down.returncode == 0, down.stderr
    assert not any(port_is_listening(p) for p in ports)
    assert not any(pid and pid_alive(pid) for pid in pids)
    postgres = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True)
    assert postgres.stdout.strip() == ""
    twice = run_cockpit("sandbox", "down", "--dir", str(folder))
    assert twice.returncode == 0 and "nothing to stop" in twice.stderr


def test_serve_beyond_loopback_warns_and_a_port_in_use_is_one_line(sandbox: Sandbox, tmp_path: Path) -> None:
    """--allow-remote binds with a warning about who can watch; a taken port says what to do."""
    import signal
    import socket
    import time

    from tests.conftest import COCKPIT, clean_env

    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"))
    config = str(sandbox.config_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [COCKPIT, "serve", "--config", config, "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert busy.returncode == 1, busy.stderr
    assert busy.stderr.endswith(
        f"cannot listen on 127.0.0.1:{port} (address already in use): pick another with --port\n"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = subprocess.Popen(
        [COCKPIT, "serve", "--config", config, "--host", "0.0.0.0", "--allow-remote", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_is_listening(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert port_is_listening(port)
    finally:
        remote.send_signal(signal.SIGTERM)
        _out, err = remote.communicate(timeout=20)
    assert remote.returncode == 0
    assert "WARNING: serving on 0.0.0.0" in err and "anyone who reaches this port watches" in err


BROKEN_FILES = {
    "not-utf8": b"id = 'x'\ntitle = '\xff\xfe'\n",
    "garbage": bytes(range(256)) * 8,
    "nested": b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
}


@pytest.mark.parametrize("kind", sorted(BROKEN_FILES))
def test_a_broken_file_is_one_line_not_an_internal_error(kind: str, tmp_path: Path, run_cockpit) -> None:
    """Invalid UTF-8, binary garbage and deep nesting were exit 70 "internal error", with no file
    or line: as a config they are a config error (2), as a checklist validate's failure (1)."""
    path = tmp_path / f"{kind}.toml"
    path.write_bytes(BROKEN_FILES[kind])
    for args, code in ((["--config", str(path)], 2), (["checklist", "validate", str(path)], 1)):
        result = run_cockpit(*args)
        assert result.returncode == code, result.stderr
        assert result.stderr.startswith(f"cockpit: {path}") and result.stderr.count("\n") == 1
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "state" / "crash.log").exists()


def test_a_checklist_duration_that_overflows_names_its_step(tmp_path: Path, run_cockpit) -> None:
    path = tmp_path / "long.toml"
    path.write_text(
        'id = "long"\ntitle = "Long"\n[[sections]]\nname = "s"\n'
        '[[sections.steps]]\nid = "one"\ntitle = "One"\ndeadline = "99999999999999999999d"\n'
    )
    result = run_cockpit("checklist", "validate", str(path))
    assert result.returncode == 1
    assert result.stderr == (
        f"cockpit: {path}: step 'one', key 'deadline': at most 3650d (ten years), got '99999999999999999999d'\n"
    )


def test_a_checklist_check_waiting_every_0s_is_refused(tmp_path: Path, run_cockpit) -> None:
    """It evaluated its check back to back, a journal event each time, until its timeout."""
    path = tmp_path / "spin.toml"
    path.write_text(
        'id = "spin"\ntitle = "Spin"\n[[sections]]\nname = "s"\n[[sections.steps]]\nid = "one"\n'
        'title = "One"\nkind = "check"\nsql = "SELECT 1"\nmax_value = 1\nwait = true\ninterval = "0s"\n'
    )
    result = run_cockpit("checklist", "validate", str(path))
    assert result.returncode == 1
    assert result.stderr == f"cockpit: {path}: step 'one', key 'interval': must be longer than 0s\n"
