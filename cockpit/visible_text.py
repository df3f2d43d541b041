"""Text from outside the cockpit, made harmless for a terminal: every control shown, not obeyed.

Relation, role and application names, query texts, error messages, backup keys, checklist
titles: anyone who can name a table, run a query or write a checklist chooses them. Written to
a terminal as they are, ``\\x1b]52;...`` in an application_name would write the operator's
clipboard, ``\\x1b[2J`` clear the screen, ``\\r`` overwrite the line before it with another, and
a bidirectional override (U+202E) make ``DROP`` read as something else (Trojan Source). The rule:
C0 controls but tab and newline, DEL and the C1 controls are shown as ``\\xNN``, the bidi
embeddings, overrides and isolates as ``\\uNNNN``, so what the server holds is what is read. The
TUI applies it through ``widgets.verbatim``; the command line through ``VisibleStream``, which
``cockpit.cli`` puts over stdout and stderr for every command that is not the TUI.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is a CSI on some terminals).
_CONTROL_CODES = [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]
# Bidi embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
_BIDI_CODES = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SHOWN_AS = {code: f"\\x{code:02x}" for code in _CONTROL_CODES}
_SHOWN_AS |= {code: f"\\u{code:04x}" for code in _BIDI_CODES}
# Escapes the regex engine reads: the source holds no control or bidi character itself.
CONTROL_PATTERN = "[" + "".join(f"\\x{code:02x}" for code in _CONTROL_CODES)
CONTROL_PATTERN += "".join(f"\\u{code:04x}" for code in _BIDI_CODES) + "]"
_CONTROL = re.compile(CONTROL_PATTERN)


def visible(text: str) -> str:
    """``text`` with its controls (tab and newline aside) and bidi overrides written out."""
    return text.translate(_SHOWN_AS) if _CONTROL.search(text) else text


class VisibleStream:
    """A text stream whose every write is ``visible``: what the command line prints of foreign
    text cannot drive the terminal. ``raw`` is the stream under it, for the one writer that means
    its control codes (a progress line rewritten in place with ``\\r``)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:
        return self.raw.encoding


def raw_stream(stream: TextIO | VisibleStream) -> TextIO:
    """The stream under a VisibleStream (or the stream itself): for a writer of its own controls."""
    return stream.raw if isinstance(stream, VisibleStream) else stream
