"""Screens, tab panes and dialogs. They own workers and timers; they call the core's probes and
actions and never talk SQL, boto3 or httpx themselves. Each screen's look sits in a .tcss file
beside it (``cockpit.tcss`` holds the app-wide rules)."""
