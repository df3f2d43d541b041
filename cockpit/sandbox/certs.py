"""Certificates with chosen expiry dates, made with ``cryptography``.

The sandbox's HTTPS endpoints and the tests' TLS servers use them: a local CA signs leaf
certificates that expire when the test wants (already expired, in 5 days, in a year...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class Issued:
    """A key and certificate, as PEM files on disk."""

    cert_path: Path
    key_path: Path
    not_after: datetime


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ops-cockpit sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> Issued:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Issued(cert_path, key_path, cert.not_valid_after_utc)


class CertificateAuthority:
    """A throwaway CA; ``issue`` signs a leaf for given host names and lifetime."""

    def __init__(self, folder: Path, name: str = "ops-cockpit sandbox CA") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.issued = _write(folder / "ca", self._key, self._cert)

    @property
    def cert_path(self) -> Path:
        return self.issued.cert_path

    def issue(
        self,
        stem: str,
        hosts: list[str],
        *,
        expires_in: timedelta,
        valid_for: timedelta = timedelta(days=365),
        self_signed: bool = False,
    ) -> Issued:
        """A leaf for ``hosts`` that expires ``expires_in`` from now (negative: already expired)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        not_after = now + expires_in
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        subject = _name(hosts[0])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(now, not_after) - valid_for)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        )
        signer = key if self_signed else self._key
        return _write(self.folder / stem, key, builder.sign(signer, hashes.SHA256()))
