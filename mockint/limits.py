"""Bounds on untrusted input that hold whatever the input claims.

A FIFO or a device has an ``st_size`` of 0, so a size checked by ``stat`` passes it and
reading it never ends (``/dev/zero``) or never starts (a FIFO): files are opened as
regular files only and read with a cap. TOML nesting is counted before the parser
recurses into it, and dotted keys are counted before the parser builds one table a part
(quadratic in their length).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import IO


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words (for messages)."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_regular(path: Path | str, follow: bool = True) -> IO[bytes]:
    """Open a regular file to read. A FIFO, device, socket or directory raises OSError
    whose strerror says what it is: their st_size of 0 would pass any size cap, and a
    FIFO would block (it is opened non-blocking, so this never waits). With ``follow``
    False, a symlink raises OSError too (ELOOP)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    fd = os.open(path, flags if follow else flags | os.O_NOFOLLOW)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{kind_of(mode)}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path | str, cap: int) -> bytes:
    """A regular file's bytes, at most ``cap + 1`` of them (more than ``cap``: too large,
    whatever its size claimed). OSError as :func:`open_regular`."""
    with open_regular(path) as f:
        return f.read(cap + 1)


# TOML's strings (a basic one's escapes included: \""" does not end it) and comments
# One left open runs to the end of its line (or text): tried again from every later quote,
# it made the checks quadratic (80 KB of \""" took 17 s)
_TOML_STRINGS = (
    r'"""(?:[^\\]|\\[\s\S])*?(?:"""(?!")|\\?\Z)|\'\'\'[\s\S]*?(?:\'\'\'(?!\')|\Z)'
    r'|"(?:[^"\\\n]|\\.)*+(?:"|\\?(?=\n)|\\?\Z)|\'[^\'\n]*(?:\'|(?=\n)|\Z)|#[^\n]*'
)
# what is not structure: strings, comments, anything but a bracket
_TOML_NOT_BRACKETS = re.compile(_TOML_STRINGS + r'|[^\[\]{}"\'#]+')
_STRAY = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def toml_depth(text: str) -> int:
    """How deep arrays and tables nest in TOML ``text``, counted before parsing: tomllib
    recurses once per level, and a few thousand levels end in a RecursionError."""
    brackets = _STRAY.sub("", _TOML_NOT_BRACKETS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


# strings and comments, which a dotted key's dots are not counted in
_TOML_TEXT = re.compile(_TOML_STRINGS)
# a dotted key: bare or quoted parts (quoted ones are "x" by then) joined by dots; only
# from a part's start (unanchored, a 200,000-letter word was tried from each letter)
_DOTTED = re.compile(r"(?<![\w-])[\w-]+(?:[ \t]*\.[ \t]*[\w-]+)+")


def _bare(text: str) -> str:
    """TOML ``text`` with its comments gone and each string an ``x``."""
    return _TOML_TEXT.sub(lambda m: "" if m[0].startswith("#") else "x", text)


def toml_dots(text: str) -> int:
    """The most parts a dotted key of TOML ``text`` has (``a.b.c``: 3), counted before
    parsing: tomllib makes a table a part, each time looking the path up again, so a key
    of 100,000 parts took a minute."""
    return max((m[0].count(".") + 1 for m in _DOTTED.finditer(_bare(text))), default=1)


# what makes a table: a header ([a], [[a]]), an inline table ({), a dotted key (a.b = 1)
_TABLE = re.compile(r"^[ \t]*\[|\{|" + _DOTTED.pattern, re.MULTILINE)


def toml_tables(text: str) -> int:
    """About how many tables TOML ``text`` makes (headers, inline tables, dotted keys; an
    array's line starting with "[" counts too), counted before parsing: 290,000 dotted
    headers in 8 MB took tomllib 22 s and 2.4 GB, as many dotted keys 5.6 s."""
    return sum(1 for _ in _TABLE.finditer(_bare(text)))


class LineTooLong(ValueError):
    """A line of a stream is longer than its cap (:func:`capped_lines`)."""

    def __init__(self, line: int, cap: int):
        super().__init__(f"line {line} is over {cap:,} characters")
        self.line, self.cap = line, cap


def capped_lines(f: IO[str], cap: int) -> Iterator[str]:
    """The lines of ``f``, each read with a cap: a line over ``cap`` characters raises
    :class:`LineTooLong` (``/dev/zero`` has no line end, and a plain ``for line in f``
    read it into memory until the machine ran out)."""
    n = 0
    while line := f.readline(cap + 1):
        n += 1
        if len(line) > cap and not line.endswith("\n"):
            raise LineTooLong(n, cap)
        yield line


# what a bank's TOML may hold: arrays and tables inside each other (a bank needs 2), and
# tables ([bank], and a [[question]] and a [[category]] for each of 10,000 questions)
MAX_TOML_DEPTH, MAX_TOML_TABLES = 32, 20_100


def toml_unsafe(text: str, most: int = MAX_TOML_DEPTH, tables: int = MAX_TOML_TABLES) -> str | None:
    """Why TOML ``text`` is not to be parsed (tomllib would recurse into it too deeply,
    build it quadratically, or make more than ``tables`` tables), with the fix; or None."""
    if toml_depth(text) > most:
        return f"arrays or tables nested over {most} deep (a bank needs 2): flatten it"
    if toml_dots(text) > most:
        return f"a dotted key of over {most} parts (a bank needs 2): shorten it"
    n = toml_tables(text)
    if n > tables:
        return f"{n:,} tables (at most {tables:,}): split it into banks of 10,000 questions"
    return None


# the longest text an answer stores (an hour's transcript is ~50,000 characters): what an
# import takes (mockint.storage.untrusted), so a typed answer is held to it too
MAX_STORED_CHARS = 200_000


def typed_unfit(text: str) -> str | None:
    """Why a typed answer cannot be graded and stored as it is, or None: over
    :data:`MAX_STORED_CHARS`, or holding a control character (it would reach a terminal,
    and an import refuses it)."""
    from mockint.terminal import control_char

    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes that were never UTF-8
        return "the answer is not UTF-8 text: save it as UTF-8"
    if len(text) > MAX_STORED_CHARS:
        return f"the answer is {len(text):,} characters: at most {MAX_STORED_CHARS:,}"
    found = control_char(text)
    return f"the answer holds the control character {found}: remove it" if found else None
