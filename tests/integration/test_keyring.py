"""Credentials through the real Secret Service (gnome-keyring on a private D-Bus session)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from cockpit.config import Database
from cockpit.db.sessions import SessionPolicy, connect
from cockpit.sandbox.manager import Sandbox
from tests.conftest import COCKPIT, clean_env

SECRET = "tr0ub4dor-&-3-known-secret-value"


def test_set_list_delete(keyring_env: dict[str, str], run_cockpit, tmp_path: Path) -> None:
    env = dict(keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    stored = run_cockpit("secret", "set", "api-token", "--stdin", env=env, input=SECRET + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "stored api-token in the keyring" in stored.stderr
    listed = run_cockpit("secret", "list", env=env)
    assert listed.stdout.startswith("api-token\t20") and SECRET not in listed.stdout
    code = "import keyring; print(keyring.get_password('ops-cockpit', 'api-token'))"
    import sys

    read_back = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert read_back.stdout.strip() == SECRET
    assert run_cockpit("secret", "delete", "api-token", env=env).returncode == 0
    assert run_cockpit("secret", "list", env=env).stdout == ""
    missing = run_cockpit("secret", "delete", "api-token", env=env)
    assert missing.returncode == 1 and missing.stderr == "cockpit: no secret 'api-token' in the keyring\n"


def test_no_backend_is_one_line_with_the_fixes(run_cockpit, tmp_path: Path) -> None:
    env = clean_env(COCKPIT_STATE_DIR=str(tmp_path / "state"), HOME=str(tmp_path))
    result = run_cockpit("secret", "set", "x", "--stdin", env=env, input="value\n")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "cockpit: no keyring backend is available: run the cockpit inside `dbus-run-session`"
    )
    assert "PYTHON_KEYRING_BACKEND" in result.stderr and result.stderr.count("\n") == 1


def test_locked_keyring_says_so(private_keyring_env: dict[str, str], run_cockpit, tmp_path: Path) -> None:
    env = dict(private_keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    assert run_cockpit("secret", "set", "lockme", "--stdin", env=env, input="v4lue\n").returncode == 0
    lock = (
        "import secretstorage; c = secretstorage.get_default_collection("
        "secretstorage.dbus_init()); c.lock(); print(c.is_locked())"
    )
    import sys

    locked = subprocess.run([sys.executable, "-c", lock], env=env, capture_output=True, text=True)
    assert locked.stdout.strip() == "True", locked.stderr
    result = run_cockpit("secret", "set", "other", "--stdin", env=env, input="x1234\n")
    assert result.returncode == 1
    assert result.stderr.startswith("cockpit: the keyring is locked: unlock it")


def test_the_database_password_comes_from_the_keyring_and_never_leaks(
    keyring_env: dict[str, str], sandbox: Sandbox, run_cockpit, tmp_path: Path
) -> None:
    """A password-authenticated role: the check only succeeds if the keyring value reached libpq;
    then everything the run produced is searched for the value."""
    with connect(Database(name="admin", dsn=sandbox.postgres.dsn()), SessionPolicy()) as conn:
        conn.execute("DROP ROLE IF EXISTS leak_probe")
        conn.execute(f"CREATE ROLE leak_probe LOGIN PASSWORD '{SECRET}' IN ROLE password_login")
    state = tmp_path / "state"
    env = dict(keyring_env, COCKPIT_STATE_DIR=str(state))
    assert run_cockpit("secret", "set", "leak-db", "--stdin", env=env, input=SECRET).returncode == 0
    config = tmp_path / "c.toml"
    dsn = sandbox.postgres.dsn(user="leak_probe")
    config.write_text(f"""
[targets.t]
[[targets.t.databases]]
name = "app"
dsn = "{dsn}"
password = "keyring:leak-db"
[[targets.t.databases]]
name = "wrong"
dsn = "{dsn}"
password = "keyring:missing-entry"
""")
    result = run_cockpit("check", "--config", str(config), "--json", env=env)
    body = json.loads(result.stdout)
    by_subject = {f["subject"]: f for f in body["findings"]}
    assert by_subject["app"]["severity"] == "ok", result.stdout
    assert by_subject["wrong"]["severity"] == "crit"
    assert "cockpit secret set missing-entry" in by_subject["wrong"]["message"]
    produced = result.stdout + result.stderr + tui_screen(config, env, tmp_path)
    for path in state.rglob("*"):
        if path.is_file():
            produced += path.read_bytes().decode(errors="replace")
    assert SECRET not in produced


def tui_screen(config: Path, env: dict[str, str], tmp_path: Path) -> str:
    """The TUI on the same config, in tmux: what the operator would see, every pane."""
    from tests.e2e.test_demo_in_tmux import Tmux

    tmux = Tmux(tmp_path)
    tmux.start(f"{COCKPIT} --config {config}", dict(env, TERM="xterm-256color"))
    screens = ""
    try:
        screens += tmux.wait_for("2 databases: worst", timeout=30)
        for key in "234561":
            tmux.keys(key)
            time.sleep(0.3)
            screens += tmux.screen()
        tmux.keys("q")
    finally:
        tmux.kill()
    assert "cockpit secret set missing-entry" in screens or "wrong" in screens
    return screens


def test_health_bearer_token_comes_from_the_keyring(
    keyring_env: dict[str, str], run_cockpit, tmp_path: Path
) -> None:
    from tests.integration.http_servers import EXPECTED_TOKEN, serve

    env = dict(keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    assert (
        run_cockpit("secret", "set", "api-bearer", "--stdin", env=env, input=EXPECTED_TOKEN).returncode == 0
    )
    with serve() as port:
        config = tmp_path / "c.toml"
        config.write_text(f"""
[targets.t]
[[targets.t.health]]
name = "with-token"
url = "http://127.0.0.1:{port}/auth"
token = "keyring:api-bearer"
[[targets.t.health]]
name = "without-token"
url = "http://127.0.0.1:{port}/auth"
""")
        result = run_cockpit("check", "--config", str(config), "--json", env=env)
    status = {f["subject"]: f for f in json.loads(result.stdout)["findings"] if f["check"] == "http.status"}
    assert status["with-token"]["severity"] == "ok"
    assert status["without-token"]["message"] == "unexpected status 401 (expected 200)"
    assert EXPECTED_TOKEN not in result.stdout + result.stderr


LOCK = (
    "import secretstorage; c = secretstorage.get_default_collection("
    "secretstorage.dbus_init()); c.lock(); print(c.is_locked())"
)
IS_LOCKED = (
    "import secretstorage; print(secretstorage.get_default_collection(secretstorage.dbus_init()).is_locked())"
)


def keyring_locked(env: dict[str, str]) -> bool:
    import sys

    out = subprocess.run([sys.executable, "-c", IS_LOCKED], env=env, capture_output=True, text=True)
    assert out.stdout.strip() in ("True", "False"), out.stderr
    return out.stdout.strip() == "True"


def test_cockpit_secret_unlock_unlocks_a_running_locked_keyring(
    private_keyring_env: dict[str, str], run_cockpit, tmp_path: Path
) -> None:
    """The README's old way, `gnome-keyring-daemon --unlock` on the running daemon, exits 0 and
    leaves the keyring locked; `cockpit secret unlock` unlocks it over D-Bus. (The fixture made
    this keyring with the password "test-password\\n", newline included, as `echo` would.)"""
    import sys

    env = dict(private_keyring_env, COCKPIT_STATE_DIR=str(tmp_path / "state"))
    assert run_cockpit("secret", "set", "kept", "--stdin", env=env, input="v4lue\n").returncode == 0
    locked = subprocess.run([sys.executable, "-c", LOCK], env=env, capture_output=True, text=True)
    assert locked.stdout.strip() == "True", locked.stderr
    old_way = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input="test-password\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert old_way.returncode == 0 and keyring_locked(env)  # the defect the README's hint had
    wrong = run_cockpit("secret", "unlock", "--stdin", env=env, input="not-it\n")
    assert (
        wrong.returncode == 1
        and wrong.stderr == "cockpit: wrong password: the keyring 'Login' stays locked\n"
    )
    assert keyring_locked(env)
    unlocked = run_cockpit("secret", "unlock", "--stdin", env=env, input="test-password\n")
    assert unlocked.returncode == 0, unlocked.stderr
    assert unlocked.stderr.startswith("the keyring 'Login' unlocked")
    assert not keyring_locked(env)
    again = run_cockpit("secret", "unlock", "--stdin", env=env, input="test-password\n")
    assert again.returncode == 0 and again.stderr.startswith("the keyring 'Login' was not locked")
    assert run_cockpit("secret", "set", "after", "--stdin", env=env, input="x1234\n").returncode == 0


def test_cockpit_secret_unlock_without_a_secret_service_says_what_to_do(run_cockpit) -> None:
    result = run_cockpit("secret", "unlock", "--stdin", env=clean_env(), input="pw\n")
    assert result.returncode == 1
    assert result.stderr.startswith("cockpit: no Secret Service on this session's D-Bus")
