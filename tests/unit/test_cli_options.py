"""Where a global option is given: before the command or after it, it is the one used."""

from __future__ import annotations

import pytest

from cockpit.cli import build_parser

COMMANDS = [
    ["check"],
    ["serve"],
    ["backup", "list"],
    ["checklist", "list"],
    ["checklist", "runs"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_config_and_target_before_the_command_are_kept(command: list[str]) -> None:
    """`cockpit --config X check` read the default config: the command's own --config, not
    given, set it back to None (argparse lets a subcommand's default overwrite the parent's)."""
    args = build_parser().parse_args(["--config", "/etc/x.toml", "--target", "prod", *command])
    assert args.config == "/etc/x.toml"
    assert args.target == "prod"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_config_after_the_command_is_used_too(command: list[str]) -> None:
    args = build_parser().parse_args([*command, "--config", "/etc/y.toml"])
    assert args.config == "/etc/y.toml"


def test_no_config_anywhere_is_none() -> None:
    assert build_parser().parse_args(["check"]).config is None
