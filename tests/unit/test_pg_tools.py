"""Why a client tool failed, the cause first, from what it wrote to standard error (more in\ntests/integration/test_backups.py: a failed restore's ERROR line)."""

from __future__ import annotations

from cockpit.db.pg_tools import server_error

SERVER_GONE = (
    'pg_dump: error: Dumping the contents of table "big" failed: PQgetCopyData() failed.\n'
    "pg_dump: detail: Error message from server: server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request.\n"
    "pg_dump: detail: Command was: COPY public.big (i, a, b) TO stdout;\n"
)


def test_the_servers_message_comes_first_not_the_last_line() -> None:
    assert server_error(SERVER_GONE) == (
        "the server said: server closed the connection unexpectedly; This probably means the server "
        "terminated abnormally before or while processing the request. "
        '(Dumping the contents of table "big" failed: PQgetCopyData() failed.)'
    )


def test_without_a_server_message_the_last_line() -> None:
    assert server_error("something odd\nand its last line\n") == "and its last line"
