"""ops-cockpit: runbooks made live, in a terminal.

The ``cockpit`` package is the core. It knows PostgreSQL, HTTP, S3, TLS, the keyring and the
state store, and imports no Textual: only ``screens.app`` (the thin App) does, and ``cockpit.cli``
imports that lazily to start the TUI.
"""

__version__ = "0.1.0"
