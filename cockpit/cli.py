"""The ``cockpit`` command: parses the command line and dispatches it, and nothing else.

The commands that open or serve the cockpit (the TUI, ``demo``, ``serve``, ``check``) share its
options and are parsed here; a family of subcommands is parsed by its own package's ``cli.py``
(``backup``, ``checklist``, ``secret``, ``sandbox``), and every command's work is done there too.

Usage errors and bad config exit 2 with one line on stderr, except for the commands monitoring
systems run (`cockpit check`, `cockpit backup list`), where they exit 3, UNKNOWN, and `check`
also prints its Nagios status line; every other failure the operator can fix is one line too.
An unexpected error prints one line and writes the (redacted) traceback to the state dir's
``crash.log``. Heavy modules (Textual, psycopg, boto3) are imported only by the
subcommand that needs them.
"""

from __future__ import annotations

import argparse
import gc
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from cockpit import __version__
from cockpit.errors import CockpitError, MonitorUsageError, TuiCrashed, UsageError
from cockpit.serve import DEFAULT_MAX_SESSIONS, DEFAULT_PORT, MAX_SESSIONS

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
    serve.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    serve.add_argument(
        "--target", metavar="NAME", default=argparse.SUPPRESS, help="target (environment) to open"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--max-sessions",
        type=_max_sessions,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="browser tabs served at once, each a cockpit with its own database session "
        f"(default {DEFAULT_MAX_SESSIONS})",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: anyone reaching the port watches, with no login",
    )
    serve.add_argument("--public-url", metavar="URL", help="the URL browsers use (behind a proxy)")
    _refresh_option(serve)

    from cockpit.sandbox import cli as sandbox_cli

    sandbox_cli.add_parser(commands, _Parser)

    check = commands.add_parser("check", help="run every configured probe once; Nagios exit codes")
    check.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    check.add_argument("--target", metavar="NAME", default=argparse.SUPPRESS, help="target to check")
    check.add_argument("--pane", metavar="NAME,...", help="only these panes")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--problems", action="store_true", help="list only the findings that are not ok")

    from cockpit.backups import cli as backup_cli

    backup_cli.add_parser(commands, _Parser)
    from cockpit.checklists import cli as checklist_cli

    checklist_cli.add_parser(commands, _Parser)

    from cockpit.secrets import cli as secret_cli

    secret_cli.add_parser(commands, _Parser)
    return parser


# The commands whose screen is Textual's (it writes its own control codes): every other command's
# output goes through VisibleStream.
TUI_COMMANDS = (None, "demo", "serve")


def main(argv: Sequence[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    try:
        args = _parse(argv)
        if args.command not in TUI_COMMANDS:
            from cockpit.visible_text import VisibleStream

            # Foreign text (names, messages, keys) printed by any command: shown, never obeyed.
            sys.stdout, sys.stderr = VisibleStream(sys.stdout), VisibleStream(sys.stderr)
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
    finally:
        sys.stdout, sys.stderr = streams


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
        from cockpit.sandbox.demo import run_demo

        return run_demo(lambda config_path: _run_tui(str(config_path), None, args.read_only, args.refresh))
    if args.command == "serve":
        from cockpit.serve import cli as serve_cli

        return serve_cli.run(args)
    if args.command == "sandbox":
        from cockpit.sandbox import cli as sandbox_cli

        return sandbox_cli.run(args)
    if args.command == "check":
        from cockpit.check import run_command

        return run_command(args)
    if args.command == "backup":
        from cockpit.backups import cli as backup_cli

        return backup_cli.run(args)
    if args.command == "checklist":
        from cockpit.checklists import cli as checklist_cli

        return checklist_cli.run(args)
    from cockpit.secrets import cli as secret_cli

    return secret_cli.run(args)


def _run_tui(config_path: str | None, target: str | None, read_only: bool, refresh: float | None) -> int:
    # No garbage collection until the first frame (run_app turns it back on then): importing
    # Textual and the cockpit and building the first screen allocate objects that all live as long
    # as the app, so every collector pass over them before the first frame is time it waits for
    # and frees nothing (bench/first_frame.py).
    gc.disable()
    try:
        from cockpit.config import load_config

        config = load_config(config_path).with_refresh(refresh)
        config.target(target)  # a bad --target is a usage error before the screen opens
        from screens.app import run_app

        return run_app(config, target=target, read_only=read_only)
    finally:
        gc.enable()
