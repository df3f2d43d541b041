"""Errors that reach the operator as one clear line, never as a traceback.

Every error the operator can fix carries a message that says what went wrong and what to do.
The CLI prints ``str(error)`` on stderr and exits with ``exit_code``.
"""


class CockpitError(Exception):
    """A failure the operator can act on; its text is the whole message."""

    exit_code = 1


class UsageError(CockpitError):
    """Bad command line or bad config: exit 2, like argparse."""

    exit_code = 2


class MonitorUsageError(UsageError):
    """A usage error (or bad config) of a command monitoring systems run, `cockpit check` and
    `cockpit backup list`: Nagios reads exit 2 as CRITICAL and pages someone, so this one exits
    3, UNKNOWN: the check could not run. ``command`` is the command's name ("cockpit check")."""

    exit_code = 3

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


class ConfigError(UsageError):
    """The config file is missing, malformed or invalid."""


class CredentialError(CockpitError):
    """The keyring is missing, locked or lacks an entry."""


class ActionRefused(CockpitError):
    """The action guard said no (read-only, unconfirmed, outside a window...)."""


class ActionCancelled(CockpitError):
    """The operator cancelled a running action."""


class TuiCrashed(Exception):
    """The TUI ended on an exception nothing handled (a bug, never the operator's doing): the
    command exits 70 with one line and the crash log, never 0. Its ``__cause__`` is that
    exception."""
