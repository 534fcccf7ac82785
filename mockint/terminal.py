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


def json_safe(text: str) -> str:
    """JSON text with DEL and the C1 controls as ``\\u`` escapes (json.dumps escapes only
    C0): the same JSON to a parser, nothing a terminal acts on."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
