"""`cockpit sandbox up|down --dir DIR`: the embedded sandbox in the background, for a session.

``up`` prints the config file it wrote (stdout, for ``--config``) and where its servers listen
(stderr); without a keyring backend it writes the sandbox's throwaway S3 keys to
``DIR/s3-credentials.env`` (0600). ``down`` stops what ``up`` started in DIR, and says so when
nothing runs there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    sandbox = commands.add_parser("sandbox", help="start or stop the embedded sandbox")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", required=True, parser_class=parser_class, metavar="up|down"
    )
    up = sandbox_commands.add_parser("up", help="start it in the background; print its config path")
    up.add_argument("--dir", required=True, type=Path, help="folder for its data and config")
    down = sandbox_commands.add_parser("down", help="stop the sandbox started in DIR")
    down.add_argument("--dir", required=True, type=Path, help="the folder given to `up`")


def run(args: argparse.Namespace) -> int:
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
