"""`cockpit checklist list|validate|runs|export`: the checklists headless.

``validate FILE`` exits 0 when the file is usable, 1 with one line naming the file, step and key
otherwise. ``export RUN`` writes the run's Markdown report (to ``--output`` or standard output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    checklist = commands.add_parser("checklist", help="guided checklists: list, validate, runs, export")
    actions = checklist.add_subparsers(dest="checklist_command", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="built-in and your own checklists (and broken files)")
    listing.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    validate = actions.add_parser("validate", help="check a checklist file: errors name file, step and key")
    validate.add_argument("file", metavar="FILE")
    runs = actions.add_parser("runs", help="checklist runs, newest first (in progress and finished)")
    runs.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    export = actions.add_parser("export", help="a run's report as Markdown (timeline, notes, results)")
    export.add_argument("run", metavar="RUN", help="a run's id, as `checklist runs` shows it")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    export.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def run(args: argparse.Namespace) -> int:
    from cockpit.checklists.library import load_library, validate

    if args.checklist_command == "validate":
        checklist = validate(Path(args.file))
        print(f"{args.file}: ok: {checklist.id} ({len(checklist.steps)} steps)")
        return 0
    from cockpit.config import load_config

    settings = load_config(args.config).settings if args.config else _settings_or_default()
    if args.checklist_command == "list":
        library = load_library(settings)
        for checklist_id, entry in sorted(library.entries.items()):
            checklist = entry.checklist
            print(f"{checklist_id:26} {checklist.kind:12} {len(checklist.steps):3} steps  {checklist.title}")
        for error in library.errors:
            print(f"BROKEN {error}")
        return 1 if library.errors else 0
    from cockpit.checklists.journal import open_journal

    config = load_config(args.config) if args.config else None
    journal = open_journal(config, read_only=True)  # runs and export only read
    try:
        if args.checklist_command == "runs":
            from cockpit.units import utc_minute_of

            for info in journal.runs():
                started = utc_minute_of(info.started_at)
                print(f"{info.id}  {info.status:9} {started}  {info.target:10} {info.title}")
            return 0
        from cockpit.checklists.report import render_report
        from cockpit.checklists.run import load_run

        report = render_report(load_run(journal, args.run), journal.now())
        if args.output:
            from cockpit.paths import write_private_text

            write_private_text(Path(args.output), report)  # notes and evidence: 0600
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(report)
        return 0
    finally:
        journal.close()


def _settings_or_default() -> Any:
    """The config's settings when there is a config, else the defaults (list works without one)."""
    from cockpit.config import Settings, find_config_path, load_config

    path = find_config_path(None)
    return load_config(path).settings if path.exists() else Settings()
