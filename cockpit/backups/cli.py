"""`cockpit backup list|run|verify|export`: the Backups pane headless, for cron.

Exit codes: ``list`` exits like ``cockpit check`` (0 ok, 1 warn, 2 crit, 3 unknown, a usage
error included) on the stores' findings, and ``--json`` prints one object; ``run``, ``verify``
and ``export`` exit 0 on success and 1 on failure (a checksum or row count mismatch included),
2 on a usage error. All three go through the same guard as the TUI: refused for read-only
targets, the target's name is required (``--confirm NAME``) on protected ones, and audited.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cockpit.errors import MonitorUsageError, UsageError
from cockpit.visible_text import raw_stream, visible


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser("backup", help="list, run and verify backups (headless, for cron)")
    actions = backup.add_subparsers(dest="backup_command", required=True, parser_class=parser_class)
    for name, text in (
        ("list", "every store's backups, foreign objects and findings"),
        ("run", "pg_dump streamed into a store, with its checksum and row counts"),
        ("verify", "download, check the checksum, restore into a scratch database, compare row counts"),
        ("export", "chosen tables as CSV (COPY ... TO), streamed into a store"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
        sub.add_argument(
            "--target",
            metavar="NAME",
            default=argparse.SUPPRESS,
            help="target (default: the configured default)",
        )
        sub.add_argument("--store", metavar="NAME", help="only this store (default: every store / the first)")
        if name == "list":
            sub.add_argument("--json", action="store_true", help="print one JSON object")
        else:
            sub.add_argument("--confirm", metavar="TARGET", default="", help="a protected target's name")
        if name == "export":
            sub.add_argument(
                "--table", action="append", metavar="SCHEMA.TABLE", help="a table (repeatable; "
                "default: the store's export_tables)",
            )  # fmt: skip
        if name == "verify":
            which = sub.add_mutually_exclusive_group(required=True)
            which.add_argument("--latest", action="store_true", help="the newest backup")
            which.add_argument("key", nargs="?", help="a backup's key, as `backup list` shows it")


def run(args: argparse.Namespace) -> int:
    from cockpit.config import load_config

    try:
        config = load_config(args.config)
        target_name, target = config.target(args.target)
        stores = [s for s in target.backups if args.store in (None, s.name)]
        if not stores:
            known = ", ".join(s.name for s in target.backups) or "none"
            raise UsageError(f"no backup store {args.store!r} on target {target_name} (configured: {known})")
    except UsageError as exc:
        if args.backup_command == "list":  # monitoring runs it: UNKNOWN, not CRITICAL
            raise MonitorUsageError(str(exc), "cockpit backup list") from None
        raise
    if args.backup_command == "list":
        return _list_json(stores) if args.json else _list(stores)
    from cockpit.backups.export import export_request, export_tables, run_export
    from cockpit.backups.run import backup_request, run_backup, store_database
    from cockpit.backups.verify import verify_backup, verify_request
    from cockpit.db.sessions import SessionPolicy
    from cockpit.errors import CockpitError
    from cockpit.guard import Confirmation, Guard
    from cockpit.state import StateStore
    from cockpit.units import format_size
    from cockpit.windows import window_state

    store_config = stores[0]
    database = store_database(store_config, list(target.databases))
    policy = SessionPolicy.from_settings(config.settings, read_only=False)
    state = StateStore()
    guard = Guard(
        target=target_name,
        store=state,
        read_only=target.read_only,
        protected=target.protected,
        require_window=target.require_window,  # held to it as in the TUI: see ActionRequest.changes_target
        windows=lambda: window_state(target.maintenance_windows),
    )
    confirmation = Confirmation(confirmed=True, typed=args.confirm)
    progress = _Progress()
    try:
        if args.backup_command == "run":
            result = guard.run(
                backup_request(store_config, database),
                confirmation,
                lambda ctx: run_backup(ctx, store_config, database, policy),
                on_progress=progress,
            )
            progress.done()
            print(f"{store_config.name}/{result.key}: {format_size(result.size)}, sha256 {result.sha256}")
            return 0
        if args.backup_command == "export":
            tables = export_tables(store_config, args.table)
            exported = guard.run(
                export_request(store_config, database, tables),
                confirmation,
                lambda ctx: run_export(ctx, store_config, database, tables, policy),
                on_progress=progress,
            )
            progress.done()
            for table in exported.tables:
                print(f"{store_config.name}/{table.key}: {table.rows:,} rows, {format_size(table.size)}")
            return 0
        key = _latest(store_config) if args.latest else args.key
        verification = guard.run(
            verify_request(store_config, key),
            confirmation,
            lambda ctx: verify_backup(ctx, store_config, key, database, policy),
            on_progress=progress,
        )
        progress.done()
        print(f"{store_config.name}/{key}: {verification.detail}")
        return 0
    except CockpitError as exc:
        progress.done()
        print(f"cockpit: {exc}", file=sys.stderr)
        return 1
    finally:
        state.close()


def _latest(store_config: Any) -> str:
    from cockpit.backups.inventory import inventory
    from cockpit.errors import CockpitError

    found = inventory(store_config, search=0)  # the newest is all it needs
    if found.error:
        raise CockpitError(found.error)
    if not found.backups:
        raise CockpitError(f"store {store_config.name} holds no backup to verify")
    return found.backups[0].key


def _list(stores: list[Any]) -> int:
    from cockpit.backups.inventory import inventory, judge
    from cockpit.model import Severity
    from cockpit.units import format_size, utc_minute

    worst = Severity.OK
    for store in stores:
        found = inventory(store)
        print(
            f"{store.name} ({store.kind}): {len(found.backups)} backups, {len(found.foreign)} foreign objects"
        )
        for backup in found.backups:
            created, size = utc_minute(backup.created), format_size(backup.size)
            if backup.unreadable:  # its time is the dump's; the backup.manifest finding says more
                print(f"  {backup.key}  {size:>9}  {created}  manifest unreadable: {backup.unreadable}")
                continue
            verified = utc_minute(backup.verified_at) if backup.verified_at else "never"
            result = {True: "ok", False: "FAILED", None: ""}[backup.verify_ok]
            print(f"  {backup.key}  {size:>9}  {created}  verified {verified} {result}".rstrip())
        for export in found.exports:
            size = format_size(export.size)
            print(f"  {export.key}  {size:>9}  {utc_minute(export.modified)}  (CSV export)")
        for other in found.foreign:
            print(f"  {other.key}  {format_size(other.size):>9}  (not a backup: no manifest)")
        for finding in judge(found):
            worst = Severity.worst([worst, finding.severity])
            print(f"  {finding.severity.label.upper():7} {finding.check}: {finding.message}")
    return worst.exit_code


def _list_json(stores: list[Any]) -> int:
    """`backup list --json`: one object, every time ISO 8601 with its offset."""
    import json

    from cockpit.backups.inventory import inventory, judge
    from cockpit.model import Severity
    from cockpit.redact import redact

    def at(moment: Any) -> str | None:
        return None if moment is None else moment.isoformat(timespec="seconds")

    listed, worst = [], Severity.OK
    for store in stores:
        found = inventory(store)
        findings = judge(found)
        worst = Severity.worst([worst, *(f.severity for f in findings)])
        listed.append(
            {
                "store": store.name,
                "kind": store.kind,
                "error": found.error or None,
                "backups": [
                    {
                        "key": b.key,
                        "size": b.size,
                        "created_at": at(b.created),
                        "database": b.database or None,
                        "verified_at": at(b.verified_at),
                        "verify_result": {True: "ok", False: "failed", None: None}[b.verify_ok],
                        "manifest_unreadable": b.unreadable or None,
                    }
                    for b in found.backups
                ],
                "exports": [
                    {"key": e.key, "size": e.size, "written_at": at(e.modified)} for e in found.exports
                ],
                "foreign": [
                    {"key": o.key, "size": o.size, "modified_at": at(o.modified)} for o in found.foreign
                ],
                "findings": [f.as_json("backups") for f in findings],
            }
        )
    print(redact(json.dumps({"status": worst.label, "stores": listed})))
    return worst.exit_code


class _Progress:
    """One line rewritten in place on a terminal; nothing when output is not one (cron)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, update: Any) -> None:
        if self.tty:
            # Its own \r and erase-line reach the terminal; the message's text is made visible.
            terminal = raw_stream(sys.stderr)
            terminal.write(f"\r\033[K{visible(update.message[:150])}")
            terminal.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            raw_stream(sys.stderr).write("\r\033[K")
            self.shown = False
