"""The sandbox's S3 enforces signatures and holds dumps; its HTTPS endpoints behave as named."""

from __future__ import annotations

import json
import socket
import ssl
from datetime import UTC, datetime

import httpx
import pytest

from cockpit.sandbox.manager import CERT_DAYS, Sandbox
from cockpit.sandbox.s3 import BUCKET


def test_s3_holds_dumps_of_different_ages_with_manifests(sandbox: Sandbox) -> None:
    client = sandbox.s3.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    # The sandbox's own dumps, under app/: other tests on this shared sandbox add stores of their own.
    dumps = sorted(k for k in keys if k.startswith("app/") and k.endswith(".dump"))
    assert len(dumps) == 3 and "README.txt" in keys
    ages = []
    for key in dumps:
        manifest = json.loads(client.get_object(Bucket=BUCKET, Key=key + ".manifest.json")["Body"].read())
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body[:5] == b"PGDMP" and manifest["size"] == len(body)
        ages.append(datetime.now(UTC) - datetime.fromisoformat(manifest["created_at"]))
    assert max(ages).days >= 7 and min(ages).total_seconds() < 3 * 3600


def test_s3_enforces_signatures(sandbox: Sandbox) -> None:
    import boto3
    from botocore.exceptions import ClientError

    wrong = boto3.client(
        "s3",
        endpoint_url=sandbox.s3.endpoint,
        region_name="us-east-1",
        aws_access_key_id=sandbox.s3.access_key,
        aws_secret_access_key="wrong-secret",
    )
    with pytest.raises(ClientError, match="SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        wrong.list_objects_v2(Bucket=BUCKET)


def test_health_endpoints_answer_in_the_runbooks_shapes(sandbox: Sandbox) -> None:
    ca = ssl.create_default_context(cafile=str(sandbox.folder / "certs" / "ca.crt"))
    ports = sandbox.status.https_ports
    healthy = httpx.get(f"https://localhost:{ports['healthy']}/api/monitoring/health", verify=ca)
    assert healthy.status_code == 200
    assert {k: healthy.json()[k] for k in ("status", "database")} == {"status": "ok", "database": "connected"}
    failing = httpx.get(f"https://localhost:{ports['failing']}/api/monitoring/health", verify=ca)
    assert failing.status_code == 503 and failing.json()["database"] == "disconnected"
    slow = httpx.get(f"https://localhost:{ports['slow']}/api/health", verify=ca)
    assert slow.elapsed.total_seconds() >= 1.0
    assert httpx.get(f"https://localhost:{ports['healthy']}/api/health", verify=ca).json()["status"] == "ok"


def test_certificates_expire_when_chosen(sandbox: Sandbox) -> None:
    from cryptography import x509

    context = ssl.create_default_context(cafile=str(sandbox.folder / "certs" / "ca.crt"))
    for name, days in CERT_DAYS.items():
        with (
            socket.create_connection(("127.0.0.1", sandbox.status.https_ports[name]), 5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        left = x509.load_der_x509_certificate(der).not_valid_after_utc - datetime.now(UTC)
        assert days - 1 <= left.days <= days
