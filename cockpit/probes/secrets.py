"""The Secrets pane's probes: rotation age against policy, old keys awaiting revocation, login
roles' VALID UNTIL, TLS certificates (probes/certificates.py) and cloud keys (probes/cloud_keys.py).

Nothing here reads a secret's value: the inventory is names, places and times.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cockpit.config import Database, Secret, Thresholds
from cockpit.db import sql
from cockpit.model import Finding, Severity, Snapshot
from cockpit.probes.certificates import CertificateReading, expiry_severity, read_certificates
from cockpit.probes.certificates import judge as judge_certificates
from cockpit.probes.cloud_keys import CloudKeysReading, judge_keys, read_cloud_keys
from cockpit.probes.context import ProbeContext, read_database
from cockpit.units import parse_time

if TYPE_CHECKING:
    import psycopg

    from cockpit.state import Rotation, StateStore


@dataclass(frozen=True, slots=True)
class SecretAge:
    """One inventory entry: where it lives, when it was last rotated, and what is still pending."""

    name: str
    lives_in: str
    policy_days: int
    rotated_at: datetime | None
    rotated_by: str  # "config", "keyring" (when stored), or the operator who ran the rotation
    pending: tuple[Rotation, ...]  # rotations whose old key is not revoked yet

    def age_days(self, now: datetime) -> float | None:
        return None if self.rotated_at is None else (now - self.rotated_at).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class RoleExpiry:
    database: str
    role: str
    valid_until: datetime


def secret_ages(secrets: list[Secret], store: StateStore | None) -> list[SecretAge]:
    """Each entry's last rotation: recorded by `cockpit secret rotate`, else the config's
    ``rotated_at``, else when the keyring entry of that name was stored."""
    rotations: dict[str, list[Rotation]] = {}
    stored: dict[str, str] = {}
    if store is not None:
        for rotation in store.rotations():
            rotations.setdefault(rotation.name, []).append(rotation)
        stored = dict(store.secrets())
    ages = []
    for secret in secrets:
        recorded = rotations.get(secret.name, [])
        if recorded:
            when, by = parse_time(recorded[-1].rotated_at), recorded[-1].actor
        elif secret.rotated_at:
            when, by = parse_time(secret.rotated_at), "config"
        elif secret.name in stored:
            when, by = parse_time(stored[secret.name]), "keyring"
        else:
            when, by = None, ""
        pending = tuple(r for r in recorded if r.revoked_at is None)
        ages.append(SecretAge(secret.name, secret.lives_in, secret.policy_days, when, by, pending))
    return ages


def judge_secrets(ages: list[SecretAge], now: datetime | None = None) -> list[Finding]:
    """Overdue rotations warn; an old key past its grace period is critical (it still works)."""
    now = now or datetime.now(UTC)
    findings = []
    for age in ages:
        days = age.age_days(now)
        if days is None:
            findings.append(
                Finding(
                    "secret.rotation",
                    age.name,
                    Severity.UNKNOWN,
                    f"no rotation on record ({age.lives_in})",
                    hint=f"record one: cockpit secret rotate {age.name} (or rotated_at in the config)",
                )
            )
        else:
            overdue = days >= age.policy_days
            findings.append(
                Finding(
                    "secret.rotation",
                    age.name,
                    Severity.WARN if overdue else Severity.OK,
                    f"rotated {int(days)} days ago, policy {age.policy_days} days"  # whole days elapsed
                    + (f": overdue by {int(days - age.policy_days)} days" if overdue else ""),
                    hint=f"rotate it ({age.lives_in}), then: cockpit secret rotate {age.name}"
                    if overdue
                    else "",
                    value=round(days, 1),
                    threshold=age.policy_days,
                )
            )
        for rotation in age.pending:
            revoke_by = parse_time(rotation.revoke_by)
            late = now >= revoke_by
            findings.append(
                Finding(
                    "secret.revocation",
                    f"{age.name} (rotated {rotation.rotated_at[:10]})",
                    Severity.CRIT if late else Severity.OK,
                    f"old key still valid {'past its grace period, since' if late else 'until'} "
                    f"{revoke_by:%Y-%m-%d %H:%M} UTC",
                    hint=f"revoke it ({age.lives_in}), then: cockpit secret revoked {age.name}"
                    if late
                    else "",
                )
            )
    return findings


async def read_role_expiry(conn: psycopg.AsyncConnection[Any], database: str) -> list[RoleExpiry]:
    cursor = await conn.execute(sql.load("read_role_expiry.sql"))
    return [RoleExpiry(database, role, until) for role, until in await cursor.fetchall()]


def judge_roles(
    roles: list[RoleExpiry], thresholds: Thresholds, now: datetime | None = None
) -> list[Finding]:
    """A login role's password expiring is an outage in waiting: the certificates' 30 / 7 days."""
    now = now or datetime.now(UTC)
    findings = []
    for role in roles:
        days = (role.valid_until - now).total_seconds() / 86400
        severity = expiry_severity(days, thresholds)
        message = (
            f"password expired {-days:.0f} days ago"
            if days < 0
            else f"password valid for {days:.0f} more days"
        )
        findings.append(
            Finding(
                "secret.role_expiry",
                f"{role.database}:{role.role}",
                severity,
                f"{message} (VALID UNTIL {role.valid_until:%Y-%m-%d})",
                hint=f"ALTER ROLE {role.role} VALID UNTIL '...' after a new password" if severity else "",
                value=round(days, 1),
                threshold=thresholds.cert_warn_days,
            )
        )
    return findings


async def _roles_of(context: ProbeContext, database: Database) -> list[RoleExpiry] | Finding:
    return await read_database(
        context, database, "secret", lambda conn: read_role_expiry(conn, database.name)
    )


@dataclass(frozen=True, slots=True)
class SecretsReading:
    ages: list[SecretAge]
    roles: list[RoleExpiry]
    certificates: list[CertificateReading]
    cloud_keys: CloudKeysReading
    errors: list[Finding]


async def read_secrets(context: ProbeContext) -> SecretsReading:
    """Everything the pane shows, read concurrently: certificates, roles, the inventory."""
    target = context.target
    timeout = min(5.0, float(context.settings.connect_timeout_s))
    certificates_task = asyncio.ensure_future(read_certificates(list(target.certificates), timeout_s=timeout))
    cloud_task = asyncio.ensure_future(read_cloud_keys(list(target.cloud_keys)))
    roles_results = await asyncio.gather(*(_roles_of(context, database) for database in target.databases))
    certificates = await certificates_task
    cloud_keys = await cloud_task
    roles: list[RoleExpiry] = []
    errors: list[Finding] = []
    for result in roles_results:
        if isinstance(result, Finding):
            errors.append(result)
        else:
            roles.extend(result)
    ages = secret_ages(list(target.secrets), context.store)
    return SecretsReading(ages, roles, certificates, cloud_keys, errors)


def judge(reading: SecretsReading, thresholds: Thresholds, now: datetime | None = None) -> list[Finding]:
    return [
        *judge_certificates(reading.certificates, thresholds, now),
        *judge_roles(reading.roles, thresholds, now),
        *judge_secrets(reading.ages, now),
        *judge_keys(reading.cloud_keys, thresholds, now),
        *reading.errors,
    ]


async def secrets_check(context: ProbeContext) -> Snapshot:
    started = time.monotonic()
    reading = await read_secrets(context)
    return Snapshot(
        pane="secrets",
        rows=[reading],
        findings=judge(reading, context.thresholds),
        duration=time.monotonic() - started,
    )
