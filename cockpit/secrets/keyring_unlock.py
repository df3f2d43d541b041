"""``cockpit secret unlock``: unlock a running gnome-keyring over the Secret Service's D-Bus API.

Over SSH a keyring locks (a timeout, a screen lock, a daemon started by another session) and
nothing unlocks it: `printf PASSWORD | gnome-keyring-daemon --unlock` only works when it starts
the daemon. Given a running daemon it returns 0 and the keyring stays locked, and ``--replace``
starts a second daemon, locked as well. The Secret Service's own ``Unlock`` asks a GUI prompter,
which an SSH session has not. What works is the call ``gnome-keyring-daemon --unlock`` makes at
start-up, on the running daemon: ``UnlockWithMasterPassword`` of gnome-keyring's internal D-Bus
interface, with the password sent through an encrypted Secret Service session (secretstorage and
jeepney, which keyring already depends on on Linux). Once unlocked, a running cockpit recovers
by itself: every keyring read is tried again at its next refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cockpit.errors import CredentialError

# gnome-keyring's interface for what its daemon does at start (its name is its own warning).
GNOME_KEYRING_INTERNAL = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
NO_BUS = (
    "no Secret Service on this session's D-Bus: run the cockpit inside `dbus-run-session` with "
    "gnome-keyring started (see the README, 'Credentials')"
)


def unlock_default_keyring(passwords: Sequence[str]) -> str:
    """Unlock the default collection with the first of ``passwords`` that it takes; what happened,
    in words ("... unlocked", "... was not locked"). CredentialError says why not, in one line.

    Several candidates because a keyring created with ``echo PASSWORD | gnome-keyring-daemon
    --unlock`` has the newline in its password: the caller passes the value without it, then with.
    """
    try:
        import secretstorage
        from jeepney.wrappers import DBusErrorResponse
        from secretstorage.defines import SS_PATH, SS_PREFIX
        from secretstorage.util import DBusAddressWrapper, format_secret, open_session
    except ImportError:
        raise CredentialError(
            "unlocking needs the Secret Service (Linux, secretstorage): unlock this keyring with its own tool"
        ) from None
    try:
        connection = secretstorage.dbus_init()
    except secretstorage.SecretServiceNotAvailableException:
        raise CredentialError(NO_BUS) from None
    try:
        service = DBusAddressWrapper(SS_PATH, SS_PREFIX + "Service", connection)
        try:
            (path,) = service.call("ReadAlias", "s", "default")
        except DBusErrorResponse:
            raise CredentialError(NO_BUS) from None
        if path == "/":
            raise CredentialError(
                "the Secret Service has no default keyring to unlock: create one by starting "
                "gnome-keyring with --unlock (see the README, 'Credentials')"
            )
        collection = secretstorage.Collection(connection, path)
        label = collection.get_label() or path.rpartition("/")[2]
        if not collection.is_locked():
            return f"the keyring {label!r} was not locked"
        internal = DBusAddressWrapper(SS_PATH, GNOME_KEYRING_INTERNAL, connection)
        session = open_session(connection)
        for password in passwords:
            if _unlock(internal, path, format_secret(session, password.encode(), "text/plain")):
                break
        if collection.is_locked():
            raise CredentialError(f"wrong password: the keyring {label!r} stays locked")
        return f"the keyring {label!r} unlocked"
    finally:
        connection.close()


def _unlock(internal: Any, path: str, secret: tuple[str, bytes, bytes, str]) -> bool:
    """One try; False when the password is refused, CredentialError when the call cannot be made."""
    from jeepney.wrappers import DBusErrorResponse

    try:
        internal.call("UnlockWithMasterPassword", "o(oayays)", path, secret)
    except DBusErrorResponse as exc:
        if exc.name == "org.gnome.keyring.Error.Denied":
            return False
        if exc.name == "org.freedesktop.DBus.Error.UnknownMethod":
            raise CredentialError(
                "this Secret Service is not gnome-keyring and takes no password over D-Bus: "
                "unlock it with its own tool"
            ) from None
        raise CredentialError(f"unlocking failed: {exc.name}: {' '.join(map(str, exc.data))}") from None
    return True
