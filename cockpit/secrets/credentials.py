"""Credentials from the OS keyring (service ``ops-cockpit``), never from files.

Every failure becomes one line that says what to do: no backend (usual over SSH), a locked
keyring, or a missing entry. Values read here are registered with ``cockpit.redact`` so they can
never reach the screen, logs or the audit trail. The state store keeps names and times only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from cockpit import redact
from cockpit.config import KEYRING_PREFIX
from cockpit.errors import CredentialError

if TYPE_CHECKING:
    from cockpit.state import StateStore

SERVICE = "ops-cockpit"

NO_BACKEND = (
    "no keyring backend is available: run the cockpit inside `dbus-run-session` with "
    "gnome-keyring unlocked (printf PASSWORD | gnome-keyring-daemon --unlock "
    "--components=secrets), or choose an encrypted file backend with PYTHON_KEYRING_BACKEND "
    "or keyringrc.cfg (see the README, 'Credentials')"
)
LOCKED = (
    "the keyring is locked: unlock it with `cockpit secret unlock` (or log in to the desktop "
    "session); a running cockpit picks it up at its next refresh"
)

_T = TypeVar("_T")


@contextmanager
def _keyring_errors(doing: str) -> Iterator[None]:
    """Turn keyring's exceptions into one-line CredentialErrors (never its traceback)."""
    from keyring import errors

    try:
        yield
    except errors.NoKeyringError:
        raise CredentialError(NO_BACKEND) from None
    except errors.KeyringLocked:
        raise CredentialError(LOCKED) from None
    except errors.KeyringError as exc:
        raise CredentialError(f"keyring failed while {doing}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # D-Bus and backend errors surface as assorted types
        raise CredentialError(
            f"keyring failed while {doing}: {type(exc).__name__} (is the Secret Service "
            "running and unlocked? see the README, 'Credentials')"
        ) from None


def _call(doing: str, function: Callable[[], _T]) -> _T:
    with _keyring_errors(doing):
        return function()


def get_secret(name: str) -> str:
    """The value stored under ``name``; CredentialError when absent or unreachable."""
    import keyring

    value = _call(f"reading {name!r}", lambda: keyring.get_password(SERVICE, name))
    if value is None:
        raise CredentialError(f"no secret {name!r} in the keyring: store it with `cockpit secret set {name}`")
    redact.remember(value)
    return value


def resolve(reference: str | None) -> str | None:
    """Resolve a config value ``keyring:NAME`` to the secret; ``None`` stays ``None``."""
    if reference is None:
        return None
    if not reference.startswith(KEYRING_PREFIX):
        raise CredentialError(f"expected keyring:NAME, got a literal value: {redact.MASK}")
    return get_secret(reference.removeprefix(KEYRING_PREFIX))


def set_secret(name: str, value: str, store: StateStore) -> None:
    """Store ``value`` under ``name`` and record when (never the value) in the state store."""
    import keyring

    if not name or any(c.isspace() for c in name):
        raise CredentialError(f"invalid secret name {name!r}: use letters, digits, - and _")
    if not value:
        raise CredentialError("refusing to store an empty secret")
    redact.remember(value)
    _call(f"storing {name!r}", lambda: keyring.set_password(SERVICE, name, value))
    store.secret_stored(name)


def delete_secret(name: str, store: StateStore) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    def delete() -> bool:
        try:
            keyring.delete_password(SERVICE, name)
        except PasswordDeleteError:
            return False
        return True

    if not _call(f"deleting {name!r}", delete):
        store.secret_deleted(name)
        raise CredentialError(f"no secret {name!r} in the keyring")
    store.secret_deleted(name)


def list_secrets(store: StateStore) -> list[tuple[str, str]]:
    """Names and when each was stored (from the state store; the keyring has no listing)."""
    return store.secrets()


def backend_name() -> str:
    import keyring

    return _call("finding a backend", lambda: type(keyring.get_keyring()).__name__)
