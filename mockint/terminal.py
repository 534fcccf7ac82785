"""Text from a bank, an archive or the store, made safe to show on a terminal.

Such text is data: it may hold control characters (an escape sequence that moves the
cursor, retitles the window or hides what follows). Banks refuse them at the door
(:func:`control_char`); what comes from the store is shown with them made visible
(:func:`printable`). Rich markup is escaped where rich prints (``ui``, ``reports``).
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls but tab and newline, DEL, and the C1 controls (CSI, OSC... as one byte)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_NAMES = {"\x1b": "ESC", "\r": "carriage return", "\x00": "NUL", "\x07": "BEL", "\x08": "BS"}


def control_char(text: str) -> str | None:
    """The first control character in ``text``, described (``U+001B ESC``), or None."""
    m = CONTROL.search(text)
    if m is None:
        return None
    c = m.group()
    name = _NAMES.get(c) or unicodedata.name(c, "control")
    return f"U+{ord(c):04X} {name}"


def printable(text: str) -> str:
    """``text`` with every control character (but tab and newline) shown as ``\\xNN``."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# what makes one line several, or shows it other than it is: every C0 control (newline, carriage
# return and tab too), DEL, C1, the Unicode line and paragraph separators, and the bidi
# embeddings, overrides and isolates (which reorder what follows them on the line)
NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(c: str) -> str:
    n = ord(c)
    return _SHORT.get(c) or (f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}")


def one_line(text: str) -> str:
    """``text`` shown on one line as it is: newline, carriage return and tab as ``\\n``,
    ``\\r``, ``\\t``, other controls as ``\\xNN``, line separators and bidi controls as
    ``\\uNNNN``. For what echoes a name the user gave (a path in an ``Error:`` line, in
    ``Wrote ...``): a name may hold a newline, and 'r.md\\nok' printed 'Wrote r.md' and
    then a line 'ok' of its own."""
    return NOT_ONE_LINE.sub(lambda m: _escaped(m.group()), text)


def json_safe(text: str) -> str:
    """JSON text with DEL and the C1 controls as ``\\u`` escapes (json.dumps escapes only
    C0): the same JSON to a parser, nothing a terminal acts on."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
