"""AWS IAM access keys: their age against the rotation policy, and when each was last used.

boto3 is blocking: each configured user is read in a thread. A missing permission is a finding
naming the permission, not an error: an auditor's credentials often lack it, and the pane must
say what to grant. Key ids are shown masked (the first four and last four characters), as the
AWS console does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cockpit.aws_deadlines import Deadlines, unanswered
from cockpit.config import CloudKeys, Thresholds
from cockpit.errors import CredentialError
from cockpit.model import Finding, Severity
from cockpit.secrets import credentials


@dataclass(frozen=True, slots=True)
class AccessKey:
    owner: str  # the entry's name
    user: str
    key_id: str  # masked
    active: bool
    created: datetime
    last_used: datetime | None
    last_service: str

    def age_days(self, now: datetime) -> float:
        return (now - self.created).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class CloudKeysReading:
    keys: list[AccessKey]
    problems: list[Finding]


def mask(key_id: str) -> str:
    return f"{key_id[:4]}...{key_id[-4:]}" if len(key_id) > 8 else "..."


def _client(entry: CloudKeys) -> Any:
    import boto3

    options: dict[str, Any] = {"region_name": entry.region, "config": Deadlines.of(entry).client_config()}
    if entry.endpoint_url:
        options["endpoint_url"] = entry.endpoint_url
    if entry.access_key_id and entry.secret_access_key:
        options["aws_access_key_id"] = credentials.resolve(entry.access_key_id)
        options["aws_secret_access_key"] = credentials.resolve(entry.secret_access_key)
    # A session of its own: boto3's default one is not thread-safe, and caches the credentials
    # it resolved first, so a rotated key in the environment would go unseen.
    return boto3.session.Session().client("iam", **options)


def read_user_keys(entry: CloudKeys) -> CloudKeysReading:
    """One entry's keys (blocking: run it in a thread)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    who = entry.user_name or "the credentials' own user"
    try:
        iam = _client(entry)
        listed = iam.list_access_keys(**({"UserName": entry.user_name} if entry.user_name else {}))
        keys = []
        for meta in listed["AccessKeyMetadata"]:
            used = iam.get_access_key_last_used(AccessKeyId=meta["AccessKeyId"]).get("AccessKeyLastUsed", {})
            keys.append(
                AccessKey(
                    owner=entry.name,
                    user=meta["UserName"],
                    key_id=mask(meta["AccessKeyId"]),
                    active=meta["Status"] == "Active",
                    created=meta["CreateDate"].astimezone(UTC),
                    last_used=used["LastUsedDate"].astimezone(UTC) if used.get("LastUsedDate") else None,
                    last_service=used.get("ServiceName", "") if used.get("ServiceName") != "N/A" else "",
                )
            )
        return CloudKeysReading(keys, [])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        operation = exc.operation_name
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            message = f"missing permission iam:{operation} on {who}"
            hint = f"grant iam:ListAccessKeys and iam:GetAccessKeyLastUsed on {who} to these credentials"
        elif code in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
            message, hint = f"credentials refused ({code})", "check the keyring entries of access_key_id"
        elif code == "NoSuchEntity":
            message, hint = f"no IAM user {entry.user_name!r}", "check user_name"
        else:
            message, hint = f"{operation}: {code}", ""
        return CloudKeysReading(
            [], [Finding("cloud_key.read", entry.name, Severity.UNKNOWN, message, hint=hint)]
        )
    except NoCredentialsError:
        return CloudKeysReading(
            [],
            [
                Finding(
                    "cloud_key.read",
                    entry.name,
                    Severity.UNKNOWN,
                    "no AWS credentials",
                    hint="set access_key_id/secret_access_key (keyring refs) or the AWS credential chain",
                )
            ],
        )
    except (BotoCoreError, CredentialError) as exc:
        if unanswered(exc):  # botocore's own line is cut off on screen: the endpoint, whole
            endpoint = entry.endpoint_url or "AWS IAM"
            message = f"IAM at {endpoint}: {Deadlines.of(entry).no_answer(exc)}"
            return CloudKeysReading([], [Finding("cloud_key.read", entry.name, Severity.UNKNOWN, message)])
        return CloudKeysReading([], [Finding("cloud_key.read", entry.name, Severity.UNKNOWN, str(exc))])


async def read_cloud_keys(entries: list[CloudKeys]) -> CloudKeysReading:
    readings = await asyncio.gather(*(asyncio.to_thread(read_user_keys, e) for e in entries))
    return CloudKeysReading([k for r in readings for k in r.keys], [p for r in readings for p in r.problems])


def judge_keys(
    reading: CloudKeysReading, thresholds: Thresholds, now: datetime | None = None
) -> list[Finding]:
    """An active key older than the rotation policy warns; an inactive key still present (it can
    be switched back on) warns; a key unused for the whole policy period is worth deleting."""
    now = now or datetime.now(UTC)
    policy = thresholds.key_rotation_days
    findings = list(reading.problems)
    for key in reading.keys:
        age = key.age_days(now)
        subject = f"{key.owner}:{key.user}:{key.key_id}"
        used = f"last used {key.last_used:%Y-%m-%d} ({key.last_service})" if key.last_used else "never used"
        if not key.active:
            severity, hint = Severity.WARN, "delete it: an inactive key can be made active again"
        elif age >= policy:
            severity, hint = (
                Severity.WARN,
                "rotate it: create a new key, deploy it, then deactivate and delete this one",
            )
        else:
            severity, hint = Severity.OK, ""
        findings.append(
            Finding(
                "cloud_key.age",
                subject,
                severity,
                f"{'active' if key.active else 'inactive'}, {int(age)} days old (policy {policy}), {used}",
                hint=hint,
                value=round(age, 1),
                threshold=policy,
            )
        )
    return findings
