"""The ``cockpit`` command: the TUI, the sandbox, headless checks and keyring secrets.

Usage errors and bad config exit 2 with one line on stderr, except for the commands monitoring
systems run (`cockpit check`, `cockpit backup list`), where they exit 3, UNKNOWN, and `check`
also prints its Nagios status line; every other failure the operator can fix is one line too.
An unexpected error prints one line and writes the (redacted) traceback to the state dir's
``crash.log``. Heavy modules (Textual, psycopg, boto3) are imported only by the
subcommand that needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from cockpit import __version__

if TYPE_CHECKING:
    from cockpit.state import StateStore
from cockpit.errors import CockpitError, MonitorUsageError, TuiCrashed, UsageError

MONITORING_COMMANDS = ("cockpit check", "cockpit backup list")  # usage errors exit 3 (UNKNOWN)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2 (3 for the commands
    monitoring systems run)."""

    def error(self, message: str) -> NoReturn:
        text = f"{message} (see `{self.prog} --help`)"
        if self.prog in MONITORING_COMMANDS:
            raise MonitorUsageError(text, self.prog)
        raise UsageError(text)


def _tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $COCKPIT_CONFIG, then the platform config dir)",
    )
    parser.add_argument("--target", metavar="NAME", help="target (environment) to open")
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="observer mode: look, never touch (no action is offered or run)",
    )
    _refresh_option(parser)


def _refresh_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh",
        metavar="SECONDS",
        type=_refresh_seconds,
        help="refresh interval of the live panes (default: settings.refresh_interval_s, 2)",
    )


def _refresh_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.2 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give 0.2 to 3600 seconds")
    return seconds


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give 1 to 65535")
    return int(text)


def _max_sessions(text: str) -> int:
    from cockpit.serve.server import MAX_SESSIONS

    if not text.isdigit() or not 1 <= int(text) <= MAX_SESSIONS:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: give 1 to {MAX_SESSIONS}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cockpit", description="A terminal operations cockpit for SREs.")
    parser.add_argument("--version", action="version", version=f"ops-cockpit {__version__}")
    _tui_options(parser)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    demo = commands.add_parser("demo", help="start the sandbox, open the cockpit on it, stop it on exit")
    demo.add_argument("--read-only", action="store_true", help="open in observer mode")
    _refresh_option(demo)

    serve = commands.add_parser(
        "serve", help="serve the cockpit to browsers, read-only (textual-serve); loopback by default"
    )
    serve.add_argument("--config", metavar="PATH", help="config file")
    serve.add_argument("--target", metavar="NAME", help="target (environment) to open")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8787, help="port to listen on (default 8787)")
    serve.add_argument(
        "--max-sessions",
        type=_max_sessions,
        default=4,
        metavar="N",
        help="browser tabs served at once, each a cockpit with its own database session (default 4)",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: anyone reaching the port watches, with no login",
    )
    serve.add_argument("--public-url", metavar="URL", help="the URL browsers use (behind a proxy)")
    _refresh_option(serve)

    sandbox = commands.add_parser("sandbox", help="start or stop the embedded sandbox")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", required=True, parser_class=_Parser, metavar="up|down"
    )
    up = sandbox_commands.add_parser("up", help="start it in the background; print its config path")
    up.add_argument("--dir", required=True, type=Path, help="folder for its data and config")
    down = sandbox_commands.add_parser("down", help="stop the sandbox started in DIR")
    down.add_argument("--dir", required=True, type=Path, help="the folder given to `up`")

    check = commands.add_parser("check", help="run every configured probe once; Nagios exit codes")
    check.add_argument("--config", metavar="PATH", help="config file")
    check.add_argument("--target", metavar="NAME", help="target to check")
    check.add_argument("--pane", metavar="NAME,...", help="only these panes")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--problems", action="store_true", help="list only the findings that are not ok")

    from cockpit.backups import cli as backup_cli

    backup_cli.add_parser(commands, _Parser)
    from cockpit.checklists import cli as checklist_cli

    checklist_cli.add_parser(commands, _Parser)

    secret = commands.add_parser("secret", help="credentials in the OS keyring")
    secret_commands = secret.add_subparsers(
        dest="secret_command",
        required=True,
        parser_class=_Parser,
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
    rotate.add_argument("--config", help="config file (for the secret's grace period)")
    revoked = secret_commands.add_parser("revoked", help="record that the old key was revoked")
    revoked.add_argument("name")
    unlock = secret_commands.add_parser(
        "unlock", help="unlock a running gnome-keyring (its password, prompted without echo)"
    )
    unlock.add_argument("--stdin", action="store_true", help="read the password from standard input")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parse(argv)
        return _dispatch(args)
    except CockpitError as exc:
        if isinstance(exc, MonitorUsageError) and exc.command == "cockpit check":
            from cockpit.check import SERVICE

            print(f"{SERVICE} UNKNOWN - {exc}")  # Nagios shows the first line of stdout
        print(f"cockpit: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cockpit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return _crash(exc)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """parse_args, but an unknown option of a monitoring command is that command's usage error
    (argparse leaves it to the top parser, which knows nothing of Nagios)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        words = ["cockpit", args.command, getattr(args, "backup_command", None)]
        command = " ".join(w for w in words if w)
        if command in MONITORING_COMMANDS:
            message = f"unrecognized arguments: {' '.join(extra)} (see `{command} --help`)"
            raise MonitorUsageError(message, command)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _crash(exc: Exception) -> int:
    """One line on stderr (what failed, where the details are), the traceback in crash.log, 70."""
    from cockpit.paths import private_dir, state_dir, write_private_text
    from cockpit.redact import redact

    error: BaseException = exc.__cause__ if isinstance(exc, TuiCrashed) and exc.__cause__ else exc
    log = state_dir() / "crash.log"
    try:
        private_dir(log.parent)
        write_private_text(log, redact("".join(traceback.format_exception(error))), append=True)
        where = f"; details in {log}"
    except OSError:
        where = ""
    what = f"{type(error).__name__}: {error}".splitlines()[0]
    place = " in the TUI" if isinstance(exc, TuiCrashed) else ""
    print(redact(f"cockpit: internal error{place}: {what}{where}"), file=sys.stderr)
    return 70


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        return _run_tui(args.config, args.target, args.read_only, args.refresh)
    if args.command == "demo":
        return _demo(read_only=args.read_only, refresh=args.refresh)
    if args.command == "serve":
        return _serve(args)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "check":
        return _check(args)
    if args.command == "backup":
        from cockpit.backups import cli as backup_cli

        return backup_cli.run(args)
    if args.command == "checklist":
        from cockpit.checklists import cli as checklist_cli

        return checklist_cli.run(args)
    return _secret(args)


def _run_tui(config_path: str | None, target: str | None, read_only: bool, refresh: float | None) -> int:
    # No garbage collection until the first frame (run_app turns it back on then): importing
    # Textual and the cockpit and building the first screen made CPython's collector run about
    # 128 times, 30-36 ms of the first frame's ~360 ms, one full pass 12-19 ms of it, over objects
    # that all live as long as the app (bench/first_frame.py).
    gc.disable()
    try:
        from cockpit.config import load_config

        config = load_config(config_path).with_refresh(refresh)
        config.target(target)  # a bad --target is a usage error before the screen opens
        from screens.app import run_app

        return run_app(config, target=target, read_only=read_only)
    finally:
        gc.enable()


def _serve(args: argparse.Namespace) -> int:
    from cockpit.config import load_config
    from cockpit.serve.server import ServeOptions, serve

    options = ServeOptions(
        host=args.host,
        port=args.port,
        allow_remote=args.allow_remote,
        public_url=args.public_url,
        config_path=args.config,
        target=args.target,
        refresh_s=args.refresh,
        max_sessions=args.max_sessions,
    )
    warning = options.check_bind()
    # The config is checked here, once, so a broken file is one line now rather than in every tab.
    name, _target = load_config(args.config).target(args.target)
    if warning:
        print(warning, file=sys.stderr)
    return serve(options, title=f"ops-cockpit: {name} (read-only)")


def _demo(*, read_only: bool, refresh: float | None) -> int:
    import shutil
    import tempfile

    from cockpit.sandbox.manager import Sandbox

    folder = Path(tempfile.mkdtemp(prefix="cockpit-demo-"))
    sandbox = Sandbox(folder)

    stopping = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)

    def quiet_signals() -> None:
        """Nothing may cut the cleanup short. SIGCONT first: Textual leaves its handler behind,
        a hang-up brings a SIGCONT, and that handler (resuming a TUI that is gone) raised in the
        middle of stopping the servers, or as the next handler was set, before they were stopped."""
        signal.signal(signal.SIGCONT, signal.SIG_DFL)
        for sig in stopping:
            signal.signal(sig, signal.SIG_IGN)

    def stop_on_signal(signum: int, _frame: object) -> None:
        # The first signal wins; the ones after it (a hang-up comes twice: tmux, then the kernel
        # as the terminal goes) are ignored at once, before they can cut the cleanup short.
        quiet_signals()
        raise SystemExit(128 + signum)

    # A dropped SSH session (SIGHUP) or a kill (SIGTERM) still stops the sandbox.
    previous = {s: signal.signal(s, stop_on_signal) for s in (signal.SIGHUP, signal.SIGTERM)}
    previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)
    try:
        print("cockpit: starting the sandbox (PostgreSQL, S3, HTTPS endpoints)...", file=sys.stderr)
        config_path = sandbox.up(store_keys_in_keyring=False, owner_pid=os.getpid())
        os.environ.update(sandbox.s3_environment())
        os.environ.setdefault("COCKPIT_STATE_DIR", str(folder / "state"))
        return _run_tui(str(config_path), None, read_only, refresh)
    finally:
        quiet_signals()  # `q`, then the terminal closed while the cleanup runs
        # Stopping takes seconds: said, so a quit that seems to hang is seen to be working.
        _say("cockpit: stopping the sandbox (PostgreSQL, S3, HTTPS endpoints)...")
        stop_started = time.monotonic()
        try:
            sandbox.down()
        except BaseException:
            # Keep the folder: its PostgreSQL is stopped from it (the sandbox's own dead man's
            # switch does, or `cockpit sandbox down DIR`); removed, nothing could stop it.
            _say(f"cockpit: the sandbox in {folder} did not stop cleanly")
            raise
        else:
            shutil.rmtree(folder, ignore_errors=True)
            _say(f"cockpit: sandbox stopped in {time.monotonic() - stop_started:.1f}s")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _say(line: str) -> None:
    """A line on stderr that never fails: the terminal may be gone (a hang-up during the demo's
    cleanup), and an error from print must not skip stopping the servers."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _sandbox(args: argparse.Namespace) -> int:
    from cockpit.sandbox.manager import Sandbox

    sandbox = Sandbox(args.dir)
    if args.sandbox_command == "up":
        config_path = sandbox.up()
        status = sandbox.status
        print(config_path)
        print(
            f"sandbox up in {status.startup_seconds:.1f}s: PostgreSQL on 127.0.0.1:"
            f"{status.postgres_port}, S3 on {sandbox.s3.endpoint}",
            file=sys.stderr,
        )
        if not status.s3_credentials_in_keyring:
            print(
                "cockpit: no keyring backend, so the sandbox's S3 keys are not stored: the "
                "backups pane needs AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from "
                f"{args.dir}/s3-credentials.env (sandbox only)",
                file=sys.stderr,
            )
            from cockpit.paths import write_private_text

            env_file = args.dir / "s3-credentials.env"  # 0600 from its creation, not after
            write_private_text(
                env_file, "".join(f"export {k}={v}\n" for k, v in sandbox.s3_environment().items())
            )
        return 0
    if not sandbox.is_up():
        print(f"no sandbox is running in {args.dir}: nothing to stop", file=sys.stderr)
        return 0
    sandbox.down()
    print(f"sandbox in {args.dir} stopped", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    import asyncio

    from cockpit.check import parse_panes, run_checks
    from cockpit.config import load_config
    from cockpit.db.sessions import SessionPolicy
    from cockpit.probes import ProbeContext

    try:
        panes = parse_panes(args.pane)
        config = load_config(args.config)
        name, target = config.target(args.target)
    except UsageError as exc:  # the check could not run: UNKNOWN for Nagios, not CRITICAL
        raise MonitorUsageError(str(exc), "cockpit check") from None
    # A check only ever reads its targets: its sessions are read-only whatever the target says.
    # It records health samples in the local state store, so cron'd runs build a history.
    from cockpit.state import StateStore

    store = StateStore()
    context = ProbeContext(
        target_name=name,
        target=target,
        thresholds=config.thresholds_for(target),
        settings=config.settings,
        policy=SessionPolicy.from_settings(config.settings, read_only=True),
        store=store,
    )
    try:
        report = asyncio.run(run_checks(context, panes, problems_only=args.problems))
    finally:
        store.close()
    print(report.as_json() if args.json else report.as_table())
    return report.status.exit_code


def _secret(args: argparse.Namespace) -> int:
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
        # --unlock` made a keyring whose password ends with one.
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
