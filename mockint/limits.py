"""Bounds on untrusted input that hold whatever the input claims.

A FIFO or a device has an ``st_size`` of 0, so a size checked by ``stat`` passes it and
reading it never ends (``/dev/zero``) or never starts (a FIFO): files are opened as
regular files only and read with a cap. TOML nesting is counted before the parser
recurses into it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
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


def open_regular(path: Path | str) -> IO[bytes]:
    """Open a regular file to read. A FIFO, device, socket or directory raises OSError
    whose strerror says what it is: their st_size of 0 would pass any size cap, and a
    FIFO would block (it is opened non-blocking, so this never waits)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
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


# what is not structure: strings, comments, anything but a bracket
_TOML_NOT_BRACKETS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[^\[\]{}"\'#]+'
)
_STRAY = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def toml_depth(text: str) -> int:
    """How deep arrays and tables nest in TOML ``text``, counted before parsing: tomllib
    recurses once per level, and a few thousand levels end in a RecursionError."""
    brackets = _STRAY.sub("", _TOML_NOT_BRACKETS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
