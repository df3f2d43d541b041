"""``cockpit serve``: the cockpit in a browser for observers, with bounded sessions.

Its defaults and limits live here, where the command line's parser reads them without importing
the server.
"""

DEFAULT_PORT = 8787
DEFAULT_MAX_SESSIONS = 4  # each tab is a cockpit process (~60 MB) with its own database session
MAX_SESSIONS = 64
