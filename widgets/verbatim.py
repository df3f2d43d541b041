"""Text from outside the cockpit, shown as it is: never markup, never a terminal control.

Query texts, relation and role names, application names, error messages, JSON bodies, backup
keys, checklist titles and notes, target names: anyone who can name a table, run a query or
write a checklist chooses them. Textual parses a ``str`` handed to a table cell, a Label, a
notification or a command palette entry as markup: ``SELECT 1 /* [/] */`` in pg_stat_statements
would raise MarkupError and end the cockpit (and every start after it, the pane being reopened);
``[@click=app.quit]`` would be a button; ``:fire:`` an emoji. And what Rich and Textual keep of
control characters goes to the terminal as it is: ``\\x1b]52;...`` in an application_name would
write the operator's clipboard.

The rule: foreign text reaches a widget as a ``rich.text.Text`` built here (``verbatim``), or,
where a widget only takes markup (the command palette), escaped here (``markup_escaped``), each
at exactly one place. Control characters (but tab and newline) are shown as ``\\xNN`` and bidi
overrides as ``\\uNNNN`` (``cockpit.visible_text``, the same rule as the command line's), so
what the server holds is what the operator reads.
"""

from __future__ import annotations

import re

from rich.style import StyleType
from rich.text import Text

from cockpit.visible_text import CONTROL_PATTERN, visible

_CONTROL = re.compile(CONTROL_PATTERN)


def verbatim(text: str, style: StyleType = "") -> Text:
    """``text`` as a Text shown exactly as it is: no markup, no emoji codes, no terminal controls."""
    return Text(visible(text), style=style)


def as_text(value: str | Text) -> Text:
    """A value for a widget that takes a renderable: a str ``verbatim``, a Text with its control
    characters written out (its style kept; the spans of such a Text are dropped, as they would
    no longer line up)."""
    if isinstance(value, str):
        return verbatim(value)
    if _CONTROL.search(value.plain):
        return Text(visible(value.plain), style=value.style)
    return value


def markup_escaped(text: str) -> str:
    """``text`` for a place that only takes Textual markup (a command palette entry): escaped, so
    it reads as it is, and with its control characters written out.

    Every ``[`` is escaped, not only those that look like a tag: ``textual.markup.escape`` (and
    Rich's) leave ``[$accent]`` and ``[B]`` alone, which Textual's parser takes as tags all the
    same. A backslash before a ``[`` needs nothing more: the parser keeps it as it is.
    """
    return visible(text).replace("[", "\\[")
