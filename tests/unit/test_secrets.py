"""Certificates read from files on disk: expiry, and a file missing or not a certificate (the
TLS servers, the keyring and the rotations are in tests/integration/test_secrets.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from cockpit.config import Certificate, Thresholds
from cockpit.model import Severity
from cockpit.probes.certificates import judge, read_certificates
from cockpit.sandbox.certs import CertificateAuthority

DAY = timedelta(days=1)


def severities(findings, check: str) -> dict[str, Severity]:  # type: ignore[no-untyped-def]
    return {f.subject.split(" ")[0]: f.severity for f in findings if f.check == check}


def test_certificate_files_on_disk(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    issued = authority.issue("internal", ["internal.example"], expires_in=20 * DAY)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    entries = [
        Certificate(name="internal", kind="file", file=str(issued.cert_path)),
        Certificate(name="missing", kind="file", file=str(tmp_path / "nowhere.pem")),
        Certificate(name="garbage", kind="file", file=str(garbage)),
    ]
    by_name = {r.name: r for r in asyncio.run(read_certificates(entries))}
    assert by_name["internal"].sans == ("internal.example",) and not by_name["internal"].error
    assert by_name["missing"].error == "file not found"
    assert by_name["garbage"].error.startswith("not a PEM certificate")
    expiry = severities(judge(list(by_name.values()), Thresholds()), "cert.expiry")
    assert expiry == {"internal": Severity.WARN}  # 20 days; the unreadable ones are cert.read
