"""Rendered questions kept for the next session, within a size budget.

The interviewer's voice keeps each text it renders (``cache/voice/``), so the next
session's first question plays at once. Without a bound the folder grows with every bank
and rate a user ever practised; past :data:`LIMIT` the least recently played go first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np

# the most the kept renders may take (a 200-question bank at the usual rate: ~90 MB)
LIMIT = 256 * 1024 * 1024


def load(path: Path) -> np.ndarray | None:
    """A kept render's 16-bit samples (None if there is none or it cannot be read); marks
    it played now, so it is kept longest."""
    try:
        samples = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # unreadable or absent: rendered again
    with contextlib.suppress(OSError):
        os.utime(path)
    return samples if samples.dtype == np.int16 and samples.ndim == 1 else None


def keep(path: Path, samples: np.ndarray, limit: int = LIMIT) -> None:
    """Keep a render (best effort: a full disk or read-only folder keeps nothing), then
    remove the least recently played renders past ``limit`` bytes."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".render-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, samples.astype(np.int16), allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        prune(path.parent, limit)


def prune(folder: Path, limit: int = LIMIT) -> None:
    """Remove the least recently played renders until the rest fit in ``limit`` bytes."""
    for p in folder.glob("*.tmp"):  # a render cut short (a killed session) an hour ago
        with contextlib.suppress(OSError):
            if time.time() - p.stat().st_mtime > 3600:
                p.unlink()
    kept = []
    for p in folder.glob("*.npy"):
        with contextlib.suppress(OSError):
            st = p.stat()
            kept.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in kept)
    for _, size, p in sorted(kept, key=lambda k: k[0]):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            p.unlink()
            total -= size
