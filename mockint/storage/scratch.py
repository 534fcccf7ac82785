"""Private scratch folders named after the process that made them, so that one left by a
process killed outright (no clean-up ran) is removed by the next that looks."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 24 * 3600  # no import or read runs a day: older ones go even if their pid lives


def make(folder: Path, prefix: str) -> str:
    """A new private folder ``<prefix><pid>-...`` in ``folder``, after removing the ones
    of ``prefix`` that processes no longer running left there."""
    clean_stale(folder, prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder)


def clean_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove the folders ``<prefix><pid>-...`` in ``folder`` whose process is gone, or
    that are over a day old; only this user's own directories, never through a link.
    The paths removed."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)-[A-Za-z0-9_]+$")
    gone: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return gone
    for p in entries:
        m = pattern.match(p.name)
        if not m:
            continue
        try:
            st = p.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            continue
        if alive(int(m.group(1))) and time.time() - st.st_mtime < STALE_SECONDS:
            continue
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p)
    return gone


def alive(pid: int) -> bool:
    """Whether a process with this id runs (one we may not signal counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # no process has such an id
        return False
    return True
