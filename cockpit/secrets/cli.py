"""`cockpit secret set|list|delete|rotate|revoked|unlock`: credentials in the OS keyring.

Values are read without echo (twice, and compared) or from standard input with ``--stdin``; they
are never printed. ``rotate`` and ``revoked`` are audited through a guard of their own, with no
target: the state store records who rotated what, and when the old key must be revoked by.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cockpit.errors import UsageError

if TYPE_CHECKING:
    from cockpit.state import StateStore


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    secret = commands.add_parser("secret", help="credentials in the OS keyring")
    secret_commands = secret.add_subparsers(
        dest="secret_command",
        required=True,
        parser_class=parser_class,
        metavar="set|list|delete|rotate|revoked|unlock",
    )
    set_ = secret_commands.add_parser("set", help="store a secret (prompted without echo)")
    set_.add_argument("name")
    set_.add_argument("--stdin", action="store_true", help="read the value from standard input")
    secret_commands.add_parser("list", help="names and when each was stored, never values")
    delete = secret_commands.add_parser("delete", help="remove a secret")
    delete.add_argument("name")
    rotate = secret_commands.add_parser(
        "rotate", help="store a new value and record the rotation; the old key awaits revocation"
    )
    rotate.add_argument("name")
    rotate.add_argument("--stdin", action="store_true", help="read the new value from standard input")
    rotate.add_argument(
        "--record-only", action="store_true", help="the secret lives elsewhere: record the rotation only"
    )
    rotate.add_argument(
        "--config", default=argparse.SUPPRESS, help="config file (for the secret's grace period)"
    )
    revoked = secret_commands.add_parser("revoked", help="record that the old key was revoked")
    revoked.add_argument("name")
    unlock = secret_commands.add_parser(
        "unlock", help="unlock a running gnome-keyring (its password, prompted without echo)"
    )
    unlock.add_argument("--stdin", action="store_true", help="read the password from standard input")


def run(args: argparse.Namespace) -> int:
    from cockpit.secrets import credentials
    from cockpit.state import StateStore

    if args.secret_command == "unlock":  # before the state store: it needs nothing but the bus
        return _unlock_keyring(from_stdin=args.stdin)

    store = StateStore()
    try:
        if args.secret_command == "set":
            value = _read_secret_value(args.name, from_stdin=args.stdin)
            credentials.set_secret(args.name, value, store)
            print(f"stored {args.name} in the keyring ({credentials.backend_name()})", file=sys.stderr)
        elif args.secret_command == "list":
            entries = credentials.list_secrets(store)
            if not entries:
                print("no secrets stored by ops-cockpit yet (cockpit secret set NAME)", file=sys.stderr)
            for name, stored_at in entries:
                print(f"{name}\t{stored_at}")
        elif args.secret_command == "delete":
            credentials.delete_secret(args.name, store)
            print(f"deleted {args.name}", file=sys.stderr)
        else:
            _rotation(args, store)
    finally:
        store.close()
    return 0


def _rotation(args: argparse.Namespace, store: StateStore) -> None:
    """`secret rotate` and `secret revoked`: audited through a guard of their own (no target)."""
    from cockpit.config import load_config
    from cockpit.errors import ConfigError
    from cockpit.guard import Guard
    from cockpit.secrets import credentials, rotation

    guard = Guard(target="local", store=store, read_only=False)
    if args.secret_command == "revoked":
        count = rotation.record_revocation(guard, store, args.name)
        print(f"{count} old key(s) of {args.name} marked revoked", file=sys.stderr)
        return
    try:
        config = load_config(args.config)
    except ConfigError:
        config = None  # no config: the default grace period
    grace = rotation.grace_of(rotation.inventory_entry(config, args.name))
    value = None if args.record_only else _read_secret_value(args.name, from_stdin=args.stdin)
    done = rotation.rotate(guard, store, args.name, value, grace=grace)
    where = "recorded" if value is None else f"stored in the keyring ({credentials.backend_name()})"
    print(
        f"{args.name} rotated: {where}; revoke the old key by {done.revoke_by} (grace {grace}), "
        f"then: cockpit secret revoked {args.name}",
        file=sys.stderr,
    )


def _unlock_keyring(*, from_stdin: bool) -> int:
    from cockpit.secrets.keyring_unlock import unlock_default_keyring

    if from_stdin:
        raw = sys.stdin.read()
        # Without the final newline first; then as given: `echo PASSWORD | gnome-keyring-daemon
        # --unlock` makes a keyring whose password ends with one.
        candidates = list(dict.fromkeys([raw.rstrip("\r\n"), raw]))
    else:
        import getpass

        if not sys.stdin.isatty():
            raise UsageError("no terminal to prompt on: pipe the password with --stdin")
        candidates = [getpass.getpass("keyring password: ")]
    print(
        f"{unlock_default_keyring(candidates)}: a running cockpit picks it up at its next refresh",
        file=sys.stderr,
    )
    return 0


def _read_secret_value(name: str, *, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.read().rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():
        raise UsageError("no terminal to prompt on: pipe the value with --stdin")
    first = getpass.getpass(f"value for {name}: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two values differ: nothing stored")
    return first
