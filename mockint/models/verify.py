"""Whether a model file is still the one recorded, as ``mockint models`` shows it.

Its size is compared every time; its sha256 is kept in the data directory's
``cache/model-hashes.json`` beside the file's size, inode and times, and computed again
only when one of them changed: the five models are over 400 MB, and hashing them at every
``mockint models`` took 0.7 s more from a warm cache (seconds from a cold disk). Loading a
model still checks its full hash; this cache only spares the listing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockint.errors import MockintError

# a cache this large is not mockint's: read as empty
_MAX_CACHE_BYTES = 1 << 20


class Hashes:
    """The sha256 of files, from the cache where a file is as it was when hashed."""

    def __init__(self, cache: Path, hasher: Callable[[Path], str]):
        self.cache = cache
        self.hasher = hasher
        self.known = _read(cache)
        self.changed = False

    def sha256(self, path: Path) -> str:
        key = str(path.resolve())
        stamp = _stamp(path)
        seen = self.known.get(key)
        if isinstance(seen, dict) and seen.get("stamp") == stamp:
            sha = seen.get("sha256")
            if isinstance(sha, str):
                return sha
        sha = self.hasher(path)
        if _stamp(path) == stamp:  # not written to while it was hashed
            self.known[key] = {"stamp": stamp, "sha256": sha}
            self.changed = True
        return sha

    def differs(self, path: Path, sha256: str, size: int | None = None) -> str | None:
        """What differs in ``path`` from the file recorded ("size" or "sha256"), or None."""
        if size is not None and path.stat().st_size != size:
            return "size"
        return None if self.sha256(path) == sha256 else "sha256"

    def save(self) -> None:
        """Keep what was hashed (a data directory that cannot be written only costs the
        next listing its hashing again)."""
        if not self.changed or not self.cache.parent.parent.is_dir():
            return  # nothing new, or no data directory: a listing does not make one
        from mockint.config import write_atomic

        text = json.dumps(self.known, indent=1, sort_keys=True) + "\n"
        with contextlib.suppress(OSError, MockintError):
            write_atomic(self.cache, text, follow=False)


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _read(cache: Path) -> dict[str, Any]:
    try:
        if os.path.getsize(cache) > _MAX_CACHE_BYTES:
            return {}
        found = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
