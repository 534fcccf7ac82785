"""Where an answer's recording is: stored relative to the data directory, read back only
from inside its ``recordings/``.

The store keeps ``recordings/2026-11-03/a.flac``, not an absolute path, so a data
directory moved or copied elsewhere keeps every recording. Whatever a row says (an
imported archive, a kept-aside file, an old absolute path), a reader gets a regular
file inside the data directory's ``recordings/`` or nothing: a planted
``/home/me/.ssh/id_rsa``, or ``mockint.db``, is never played, shipped or embedded.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

# A part of a recording's name (a folder or the file) as an import takes it: what mockint
# writes (ASCII letters, digits, - and _, a suffix's dot) and, from older exports, spaces
# and dots; so every name mockint writes is one it reads back.
MAX_PART = 128
SAFE_PART = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.\- ]{{0,{MAX_PART - 1}}}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_stem(text: str, limit: int = 64) -> str:
    """``text`` (a user's file name) made a part of a recording's name: ASCII letters,
    digits, - and _ only (accents dropped, anything else one -), at most ``limit``
    characters. ``réponse (final)`` becomes ``reponse-final``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("-", plain).strip("-")[:limit].strip("-") or "answer"


def _inside(p: Path, home: Path) -> bool:
    return p == home or p.is_relative_to(home)


def to_stored(home: Path, audio: str | None) -> str | None:
    """The form kept in the store: relative (POSIX) when inside ``home``, else as given."""
    if not audio:
        return audio
    p = Path(audio)
    if not p.is_absolute():
        return PurePosixPath(*p.parts).as_posix()
    for base in (home, home.resolve()):
        normal = Path(os.path.normpath(p))
        if normal.is_relative_to(base):
            return normal.relative_to(base).as_posix()
    return audio


def moved(home: Path, audio: str) -> str | None:
    """An absolute path from where the data directory used to be (``.../recordings/x``),
    relative to ``home`` if that recording is here now; else None."""
    parts = Path(audio).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "recordings":
            rel = PurePosixPath(*parts[i:])
            found = resolve(home, rel.as_posix())
            return rel.as_posix() if found is not None and found.is_file() else None
    return None


def resolve(home: Path, stored: str | None) -> Path | None:
    """The recording's path if it is a regular file inside ``home``'s ``recordings/``
    (links followed), else None: the store itself, a kept answer or a file elsewhere named
    as audio is never played, shipped or embedded (a row saying ``mockint.db`` embedded
    the store in a report, base64)."""
    p = within(home, stored)
    return p if p is not None and p.is_file() else None


def gone(home: Path, stored: str | None) -> bool:
    """Whether ``stored`` names a place inside ``recordings/`` that holds nothing now (a
    recording deleted: its answer is kept, without it)."""
    p = within(home, stored)
    return p is not None and not os.path.lexists(p)


def within(home: Path, stored: str | None) -> Path | None:
    """Where ``stored`` leads (links followed) if that is inside ``home/recordings``, a
    file there or not (a deleted recording is still named, for a reader to say so)."""
    if not stored:
        return None
    p = Path(stored)
    p = p if p.is_absolute() else home / p
    try:
        real, base = p.resolve(), (home / "recordings").resolve()
    except (OSError, RuntimeError):  # a link loop
        return None
    return real if _inside(real, base) and real != base else None
