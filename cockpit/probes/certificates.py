"""TLS certificates: days to expiry, names, issuer, key, chain and hostname checks.

Endpoints are probed concurrently, each with one timeout, so 500 of them take about one timeout,
not the sum. A handshake first verifies (chain against the system trust or ``ca_bundle``, and the
host name); when verification fails, a second handshake without it still reads the certificate,
so an expired or self-signed certificate shows its dates and the reason it fails. PostgreSQL
servers negotiate TLS after an SSLRequest on the plain connection; that is done here too. PEM
files on disk are read as they are.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography is heavy: imported when a certificate is read, never on the start's path
    from cryptography import x509

from cockpit.config import Certificate, Thresholds
from cockpit.model import Finding, Severity

DEFAULT_PORTS = {"https": 443, "postgres": 5432}
_SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # PostgreSQL's SSLRequest message


@dataclass(frozen=True, slots=True)
class CertificateReading:
    """One certificate as seen from one place; ``error`` when it could not be read at all."""

    name: str
    where: str  # host:port or a file
    subject: str = ""
    sans: tuple[str, ...] = ()
    issuer: str = ""
    not_after: datetime | None = None
    key: str = ""  # "RSA 2048", "EC P-256"...
    verified: bool = False
    verify_error: str = ""  # why the chain or the name did not verify
    error: str = ""

    def days_left(self, now: datetime) -> float | None:
        if self.not_after is None:
            return None
        return (self.not_after - now).total_seconds() / 86400


def describe_key(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509

    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(name.value) for name in extension.value)


def reading_of(
    name: str, where: str, der_or_cert: bytes | x509.Certificate, *, verified: bool, verify_error: str
) -> CertificateReading:
    from cryptography import x509

    cert = (
        der_or_cert
        if isinstance(der_or_cert, x509.Certificate)
        else x509.load_der_x509_certificate(der_or_cert)
    )
    return CertificateReading(
        name=name,
        where=where,
        subject=cert.subject.rfc4514_string(),
        sans=_names(cert),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
        key=describe_key(cert),
        verified=verified,
        verify_error=verify_error,
    )


@functools.lru_cache(maxsize=32)
def _contexts(ca_bundle: str | None) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """One verifying and one reading context per CA bundle: building one loads the whole trust
    store (tens of ms of CPU on the event loop), which 500 endpoints must not pay 500 times."""
    verifying = ssl.create_default_context(cafile=ca_bundle)
    reading = ssl.create_default_context()
    reading.check_hostname = False
    reading.verify_mode = ssl.CERT_NONE
    return verifying, reading


async def _handshake(kind: str, host: str, port: int, server_name: str, context: ssl.SSLContext) -> bytes:
    """The peer's leaf certificate (DER) after a TLS handshake, SSLRequest first for PostgreSQL.

    TCP first, then TLS on it: the connection is aborted on every way out, a timeout's
    cancellation included (a cancelled ``open_connection(ssl=...)`` can leave its transport open)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        if kind == "postgres":
            writer.write(_SSL_REQUEST)
            await writer.drain()
            if await reader.readexactly(1) != b"S":
                raise ConnectionError("the server does not offer TLS (ssl = off)")
        await writer.start_tls(context, server_hostname=server_name)
        tls = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        if not der:
            raise ConnectionError("no certificate was presented")
        return bytes(der)
    finally:
        # Aborted, not closed: a probe owes the peer no TLS goodbye, and a graceful close runs on
        # after we return; the loop may be gone by then (`cockpit check`), leaving the socket
        # open. One pass of the loop lets the abort close it, a timeout's cancellation included.
        writer.transport.abort()
        await asyncio.sleep(0)


async def probe_endpoint(
    entry: Certificate, *, timeout_s: float, ca_bundle: str | None = None
) -> CertificateReading:
    """Read and check one endpoint's certificate, within ``timeout_s`` for the whole probe."""
    host = entry.host or ""
    port = entry.port or DEFAULT_PORTS[entry.kind]
    server_name = entry.server_name or host
    where = f"{host}:{port}"
    verifying, reading = _contexts(ca_bundle or entry.ca_bundle)
    try:
        async with asyncio.timeout(timeout_s):
            try:
                der = await _handshake(entry.kind, host, port, server_name, verifying)
                return reading_of(entry.name, where, der, verified=True, verify_error="")
            except ssl.SSLCertVerificationError as exc:
                why = exc.verify_message or str(exc)
                der = await _handshake(entry.kind, host, port, server_name, reading)
                return reading_of(entry.name, where, der, verified=False, verify_error=why)
    except TimeoutError:
        return CertificateReading(entry.name, where, error=f"no TLS handshake within {timeout_s:g}s")
    except ConnectionRefusedError:
        return CertificateReading(entry.name, where, error=f"connection refused: nothing listens on {where}")
    except socket.gaierror:
        return CertificateReading(entry.name, where, error=f"unknown host {host!r}")
    except (OSError, ssl.SSLError, ConnectionError, asyncio.IncompleteReadError) as exc:
        return CertificateReading(entry.name, where, error=_short(exc))


def read_file(entry: Certificate) -> CertificateReading:
    """A PEM file on disk: its first certificate (the leaf, by convention)."""
    from cryptography import x509

    path = Path(entry.file or "")
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        return CertificateReading(entry.name, str(path), error="file not found")
    except (OSError, ValueError) as exc:
        return CertificateReading(entry.name, str(path), error=f"not a PEM certificate: {_short(exc)}")
    return reading_of(entry.name, str(path), certs[0], verified=True, verify_error="")


async def read_certificates(
    entries: list[Certificate], *, timeout_s: float = 5.0, concurrency: int = 256
) -> list[CertificateReading]:
    """Every configured certificate, endpoints at most ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(entry: Certificate) -> CertificateReading:
        if entry.kind == "file":
            return await asyncio.to_thread(read_file, entry)
        async with gate:
            return await probe_endpoint(entry, timeout_s=timeout_s)

    return list(await asyncio.gather(*(one(e) for e in entries)))


def expiry_severity(days: float, thresholds: Thresholds) -> Severity:
    """The runbooks' expiry rule (certificates, role passwords): crit under 7 days, warn under 30."""
    if days < thresholds.cert_crit_days:
        return Severity.CRIT
    return Severity.WARN if days < thresholds.cert_warn_days else Severity.OK


def judge(
    readings: list[CertificateReading], thresholds: Thresholds, now: datetime | None = None
) -> list[Finding]:
    """Expiry against the runbooks' 30 / 7 days; an unverified chain or name is critical."""
    now = now or datetime.now(UTC)
    findings: list[Finding] = []
    for r in readings:
        subject = f"{r.name} ({r.where})"
        if r.error:
            findings.append(
                Finding(
                    "cert.read",
                    subject,
                    Severity.UNKNOWN,
                    r.error,
                    hint="check host, port and that TLS is on",
                )
            )
            continue
        days = r.days_left(now)
        assert days is not None
        severity = expiry_severity(days, thresholds)
        if days < 0:
            message = f"expired {-days:.0f} days ago ({r.not_after:%Y-%m-%d})"
        else:
            message = f"expires in {days:.0f} days ({r.not_after:%Y-%m-%d})"
        findings.append(
            Finding(
                "cert.expiry",
                subject,
                severity,
                message,
                hint="renew and deploy the certificate" if severity is not Severity.OK else "",
                value=round(days, 1),
                threshold=thresholds.cert_warn_days,
            )
        )
        if not r.verified:
            findings.append(
                Finding(
                    "cert.verify",
                    subject,
                    Severity.CRIT,
                    f"does not verify: {r.verify_error}",
                    hint="a chain clients trust, this host name in its SANs (ca_bundle: a private CA)",
                )
            )
    return findings


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
