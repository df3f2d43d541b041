"""Recording a secret's rotation: the new value into the keyring, the old key's grace period.

`cockpit secret rotate NAME` is the runbooks' key rotation as far as the cockpit can take it: the
new value goes into the keyring (or, with ``--record-only``, the rotation done in an outside
system is recorded), the time and operator are kept, and the previous key is listed as awaiting
revocation until the grace period of its inventory entry ends (24 hours by default). Nothing of
the previous value is kept. `cockpit secret revoked NAME` records that the old key was revoked.
Both go through the guard, so both are audited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.config import Config, Secret
from cockpit.guard import ActionContext, ActionRequest, Confirmation, Guard
from cockpit.secrets import credentials
from cockpit.state import Rotation, StateStore
from cockpit.units import Duration

DEFAULT_GRACE = Duration("24h")


def inventory_entry(config: Config | None, name: str) -> Secret | None:
    """The secrets-inventory entry called ``name`` in any target, if the config has one."""
    if config is None:
        return None
    for target in config.targets.values():
        for secret in target.secrets:
            if secret.name == name:
                return secret
    return None


def rotate(
    guard: Guard,
    store: StateStore,
    name: str,
    value: str | None,
    *,
    grace: Duration = DEFAULT_GRACE,
) -> Rotation:
    """Store ``value`` (None: rotated elsewhere) and record the rotation, under the guard."""
    revoke_by = datetime.now(UTC) + grace
    request = ActionRequest(
        action="secret.rotate",
        summary=f"Rotate {name}",
        params={"name": name, "stored_in_keyring": value is not None, "grace": str(grace)},
    )

    def run(context: ActionContext) -> Rotation:
        if value is not None:
            credentials.set_secret(name, value, store)
        rotation = store.rotation_recorded(
            name, actor=context.actor.user, revoke_by=revoke_by.isoformat(timespec="seconds")
        )
        context.result_detail = f"previous key awaits revocation until {rotation.revoke_by}"
        return rotation

    return guard.run(request, Confirmation(confirmed=True), run)


def record_revocation(guard: Guard, store: StateStore, name: str) -> int:
    """Record that the previous keys of ``name`` were revoked (audited); how many were pending."""
    request = ActionRequest(
        action="secret.revoked", summary=f"Old key of {name} revoked", params={"name": name}
    )

    def run(context: ActionContext) -> int:
        count = store.revocation_recorded(name)
        context.result_detail = f"{count} old key(s) marked revoked"
        return count

    return guard.run(request, Confirmation(confirmed=True), run)


def grace_of(entry: Secret | None) -> Duration:
    return entry.grace if entry is not None else DEFAULT_GRACE
