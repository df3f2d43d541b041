"""The Secrets pane's tables: certificates, the secrets inventory, login roles' expiry, cloud keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from cockpit.probes.certificates import CertificateReading
from cockpit.probes.cloud_keys import AccessKey
from cockpit.probes.secrets import RoleExpiry, SecretAge
from cockpit.units import parse_time
from widgets.keyed_table import Cell
from widgets.pane_table import PaneTable


def _days(days: float | None, warn: float, crit: float) -> Text:
    """Days left, coloured by the thresholds; negative is expired."""
    if days is None:
        return Text("?", style="dim")
    style = "bold red" if days < crit else "bold yellow" if days < warn else ""
    return Text("expired" if days < 0 else f"{days:.0f}d", style=style)  # as the findings say it


class CertificatesTable(PaneTable):
    """Soonest expiry first; a chain or host name that does not verify says why."""

    NARROW = ("certificate", "left", "verified", "expires")
    WIDE_EXTRA = ("where", "names", "key", "issuer")
    FLEX = "verified"  # why a chain does not verify: the one long text

    def show(
        self, readings: Sequence[CertificateReading], *, now: datetime, warn: float, crit: float
    ) -> None:
        ordered = sorted(readings, key=lambda r: (r.error == "", r.days_left(now) or 0.0))
        rows: dict[str, dict[str, Cell]] = {}
        for r in ordered:
            if r.error:
                verified = Text(r.error, style="bold magenta")
            elif r.verified:
                verified = Text("yes")
            else:
                verified = Text(r.verify_error, style="bold red")
            rows[r.name] = {
                "certificate": r.name,
                "left": _days(r.days_left(now), warn, crit),
                "verified": verified,
                "expires": f"{r.not_after:%Y-%m-%d}" if r.not_after else "",
                "where": r.where,
                "names": ", ".join(r.sans)[:40],
                "key": r.key,
                "issuer": r.issuer[:40],
            }
        self.put_rows(rows)


class InventoryTable(PaneTable):
    """Each secret's rotation age against its policy, and old keys still awaiting revocation."""

    NARROW = ("secret", "age", "policy", "old keys")
    WIDE_EXTRA = ("lives in", "rotated", "by")

    def show(self, ages: Sequence[SecretAge], *, now: datetime) -> None:
        rows: dict[str, dict[str, Cell]] = {}
        for a in ages:
            days = a.age_days(now)
            overdue = days is not None and days >= a.policy_days
            late = [r for r in a.pending if parse_time(r.revoke_by) <= now]
            pending = f"{len(a.pending)} to revoke" if a.pending else ""
            rows[a.name] = {
                "secret": a.name,
                "age": Text("?" if days is None else f"{int(days)}d", style="bold yellow" if overdue else ""),
                "policy": f"{a.policy_days}d",
                "old keys": Text(pending, style="bold red" if late else ""),
                "lives in": a.lives_in,
                "rotated": f"{a.rotated_at:%Y-%m-%d}" if a.rotated_at else "never",
                "by": a.rotated_by,
            }
        self.put_rows(rows)


class RolesTable(PaneTable):
    """Login roles with a VALID UNTIL, soonest first."""

    NARROW = ("role", "left", "valid until")
    WIDE_EXTRA = ("database",)

    def show(self, roles: Sequence[RoleExpiry], *, now: datetime, warn: float, crit: float) -> None:
        self.put_rows(
            {
                f"{r.database}:{r.role}": {
                    "role": r.role,
                    "left": _days((r.valid_until - now).total_seconds() / 86400, warn, crit),
                    "valid until": f"{r.valid_until:%Y-%m-%d %H:%M}",
                    "database": r.database,
                }
                for r in sorted(roles, key=lambda r: r.valid_until)
            }
        )


class CloudKeysTable(PaneTable):
    """Cloud access keys, oldest first: age against the rotation policy, and last use."""

    NARROW = ("key", "user", "age", "status", "last used")
    WIDE_EXTRA = ("entry", "service")

    def show(self, keys: Sequence[AccessKey], *, now: datetime, policy: float) -> None:
        rows: dict[str, dict[str, Cell]] = {}
        for k in sorted(keys, key=lambda k: k.created):
            age = k.age_days(now)
            rows[f"{k.owner}:{k.key_id}"] = {
                "key": k.key_id,
                "user": k.user,
                "age": Text(f"{int(age)}d", style="bold yellow" if k.active and age >= policy else ""),
                "status": Text("active" if k.active else "inactive", style="" if k.active else "bold yellow"),
                "last used": f"{k.last_used:%Y-%m-%d}" if k.last_used else "never",
                "entry": k.owner,
                "service": k.last_service,
            }
        self.put_rows(rows)
