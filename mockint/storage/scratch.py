"""Private scratch folders named after the process that made them, so that one left by a
process killed outright (no clean-up ran) is removed by the next that looks.

A folder's maker may also hold a lock on it (:func:`locked`, an ``flock``): a folder
whose lock is held is never removed. A process id names no process in another pid
namespace (a container sharing the data directory), where the lock still holds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from mockint.errors import StoreError

STALE_SECONDS = 24 * 3600  # no import or read runs a day: older ones go even if their pid lives


def make(folder: Path, prefix: str) -> str:
    """A new private folder ``<prefix><pid>-...`` in ``folder``, after removing the ones
    of ``prefix`` that processes no longer running left there."""
    clean_stale(folder, prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder)


def clean_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove the folders ``<prefix><pid>-...`` in ``folder`` whose process is gone, or
    that are over a day old, unless their lock is held (:func:`locked`); only this
    user's own directories, never through a link. The paths removed."""
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
        if held(p):  # its maker runs, in a pid namespace of its own or a day on
            continue
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p)
    return gone


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold a lock on ``folder`` (an ``flock`` on the directory itself) while the
    context runs, so that :func:`clean_stale` leaves it alone whatever its name's process
    id says. Where there is no ``flock`` (or it fails), the process id alone decides."""
    fd = _opened(folder)
    if fd is None:
        yield
        return
    import fcntl

    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (closing releases the lock)


def held(folder: Path) -> bool:
    """Whether another holds ``folder``'s lock (:func:`locked`); False where there is no
    ``flock``, or no folder to lock."""
    fd = _opened(folder)
    if fd is None:
        return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        return e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)
    return False


def _opened(folder: Path) -> int | None:
    """A descriptor of ``folder`` to lock (never through a link), or None where there is
    no ``flock`` or no folder."""
    try:
        import fcntl  # noqa: F401  (no flock on this platform: the pid decides)

        return os.open(folder, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0))
    except (ImportError, OSError):
        return None


def remove_files(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Remove the files under ``folder`` whose name ``pattern`` matches: only this
    user's, never through a link (a link of such a name is itself removed). For files
    whose writers are known to be gone (the caller holds what every writer holds while
    it writes). The paths removed."""
    gone: list[Path] = []
    if folder.is_symlink():
        return gone  # a link planted as the folder: what it points at is not ours
    for root, _dirs, files in os.walk(folder):  # (links to folders are not walked)
        for name in files:
            p = Path(root) / name
            try:
                st = p.lstat()
            except OSError:
                continue
            if not pattern.match(name) or st.st_uid != os.getuid():
                continue
            with contextlib.suppress(OSError):
                p.unlink()
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


def readonly_copy(path: Path, wal: Path, prefix: str) -> tuple[str, sqlite3.Connection]:
    """A private copy of a store and its WAL, in a folder of ``prefix`` in the temporary
    directory (named after this process: one killed outright leaves it to the next read
    to remove), and a connection that has replayed the WAL. StoreError, naming the
    temporary directory, if it cannot be made there; no half copy is left."""
    tmp, made = Path(tempfile.gettempdir()), None
    try:
        made = make(tmp, prefix)
        copy = Path(made) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        db = sqlite3.connect(str(copy), isolation_level=None, check_same_thread=False)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # replays the WAL
        return made, db
    except BaseException as e:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        if not isinstance(e, OSError | sqlite3.Error):
            raise
        # the data directory is fine: the temporary directory is what could not be written
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise StoreError(
            f"{path}: read-only, with answers still in its -wal, so it is read from a copy "
            f"in {tmp}, which cannot be written ({why}): free some space there (or set "
            "TMPDIR to a folder with room), or make the data directory writable"
        ) from None
