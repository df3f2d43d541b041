"""`cockpit serve`: the parsed options checked (the bind, the config), then the server started."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
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
