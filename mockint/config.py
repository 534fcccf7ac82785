"""Where mockint keeps its data: one directory, moved by ``MOCKINT_HOME``.

Run from a source checkout, the data directory is the checkout itself, so the
design card's ``bank/``, ``models/`` and ``recordings/`` are the live folders.
Installed elsewhere, it is ``$XDG_DATA_HOME/mockint`` (``~/.local/share/mockint``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from mockint.errors import MockintError, OutputError
from mockint.limits import kind_of

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


_JOURNALS = ("-wal", "-shm", "-journal")


def _same(st: os.stat_result, path: Path) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


def _is_checkout(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "bank").is_dir()


@dataclass(frozen=True)
class Paths:
    """Every path mockint reads or writes, derived from one home directory."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "mockint.db"

    @property
    def banks(self) -> Path:
        return self.home / "bank"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def recordings(self) -> Path:
        return self.home / "recordings"

    @property
    def mic_check(self) -> Path:
        """The last microphone check per input device (a passed one is not asked again)."""
        return self.home / "mic-check.json"

    @property
    def voice_cache(self) -> Path:
        """Questions the interviewer's voice rendered before (played at once next time)."""
        return self.home / "cache" / "voice"

    @property
    def pending(self) -> Path:
        """Graded answers the store could not take yet (``mockint import-pending``)."""
        return self.home / "pending"

    @property
    def serve_lock(self) -> Path:
        """Held by ``mockint serve`` while it runs (one server a data directory)."""
        return self.home / "serve.lock"

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is one of mockint's own files: the store and its journals, the
        serve lock, a recording, a bank, a model, a kept answer, a cache, or the source
        (this data directory's, and the checkout's shipped folders). No output may
        replace one; each is compared resolved, so a link on either side is seen through."""
        real = Path(os.path.realpath(path))
        files = [self.db, *(self.db.with_name(self.db.name + x) for x in _JOURNALS)]
        files += [self.mic_check, self.serve_lock]
        folders = [self.recordings, self.banks, self.models, self.pending, self.home / "cache"]
        folders += [PACKAGE_DIR, CHECKOUT_DIR / "bank", CHECKOUT_DIR / "models"]
        if any(real == Path(os.path.realpath(f)) for f in files):
            return True
        if any(real.is_relative_to(os.path.realpath(d)) for d in folders):
            return True
        try:  # the same file by another name (a hard link)
            st = os.stat(real)
        except OSError:
            return False
        return any(_same(st, f) for f in files)


def _expanded(env: str) -> Path:
    """``MOCKINT_HOME``'s value with a leading ``~`` or ``~user`` expanded; a user (or a
    home) that cannot be found is a MockintError (it was said to be "a symlink loop": the
    RuntimeError Path.expanduser raises was taken for resolve's)."""
    path = os.path.expanduser(env)  # left as it was when there is no such user
    if path.startswith("~"):
        who = env.split("/", 1)[0]
        what = "no such user" if who != "~" else "no home directory is known"
        raise MockintError(f"MOCKINT_HOME={env}: {who}: {what}: give the full path")
    return Path(path)


def home_dir() -> Path:
    """The data directory: ``MOCKINT_HOME``, else the checkout, else the XDG data dir."""
    env = os.environ.get("MOCKINT_HOME")
    if env:
        try:
            home = _expanded(env).resolve()
            if home.exists() and not home.is_dir():  # a file, a device, a FIFO
                raise NotADirectoryError(20, "not a directory")
            return home
        except (OSError, RuntimeError) as e:  # RuntimeError: a symlink loop (Python < 3.13)
            why = getattr(e, "strerror", None) or "a symlink loop"
            raise MockintError(
                f"MOCKINT_HOME={env}: cannot be used ({why}): point MOCKINT_HOME at a directory"
            ) from None
    if _is_checkout(CHECKOUT_DIR):
        return CHECKOUT_DIR
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "mockint"


def paths() -> Paths:
    """The current :class:`Paths` (read from the environment on every call)."""
    return Paths(home_dir())


def shipped_banks_dir() -> Path | None:
    """The ``bank/`` folder shipped with the source, if this is a checkout."""
    d = CHECKOUT_DIR / "bank"
    return d if _is_checkout(CHECKOUT_DIR) else None


def shipped_models_dir() -> Path | None:
    """The checkout's ``models/`` folder: prepared models are shared from there."""
    d = CHECKOUT_DIR / "models"
    return d if _is_checkout(CHECKOUT_DIR) else None


# Where output may go without a file in its place: written directly, never replaced.
STDOUT_NAMES = ("-", "/dev/stdout")

# the folders that list this process's open descriptors, once resolved (/dev/fd and
# /proc/self/fd are links to /proc/PID/fd on Linux; /dev/fd is itself one on the BSDs)
_FD_DIR = re.compile(r"/proc/(?P<pid>[0-9]+)(?:/task/[0-9]+)?/fd|/dev/fd")
_MAX_LINKS = 40  # what the kernel follows before ELOOP


def descriptor(path: Path | str) -> int | None:
    """The open descriptor of this process that ``path`` names, or None: ``-``,
    ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, ``/proc/PID/fd/N``
    and links to them. Such a path is written to the descriptor itself: reopened, it
    would truncate the file behind it (a log the shell appends to), and replaced, destroy it."""
    p = os.fspath(path)
    if p == "-":
        return 1
    for _ in range(_MAX_LINKS):
        head, name = os.path.split(p)
        parent = os.path.realpath(head or ".")
        m = _FD_DIR.fullmatch(parent)
        if m and (m["pid"] is None or int(m["pid"]) == os.getpid()):
            return int(name) if re.fullmatch("[0-9]{1,9}", name) else None
        full = os.path.join(parent, name)
        if not os.path.islink(full):
            return None
        p = os.path.join(parent, os.readlink(full))
    return None


def is_stdout(path: Path | str) -> bool:
    """Whether ``path`` names standard output (``-``, ``/dev/stdout``, ``/dev/fd/1``...):
    the output is written to it as it is."""
    return descriptor(path) == 1


def output_name(path: Path | str) -> str:
    """``path`` as a message names it: ``standard output`` for ``-`` (and the names of
    standard output), which a message saying "-: cannot write" left the reader to decode."""
    return "standard output" if is_stdout(path) else str(path)


def _writable_descriptor(path: Path | str, fd: int) -> None:
    """OutputError unless descriptor ``fd`` (which ``path`` names) is open for writing."""
    import fcntl

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        flags = None
    if flags is None or flags & os.O_ACCMODE == os.O_RDONLY:
        why = "not open" if flags is None else "open for reading only"
        raise OutputError(
            f"{path}: descriptor {fd} is {why}: give the name of a file to write "
            "(or '-' for standard output)"
        )


def _writable_by(folder: os.stat_result, uid: int, gid: int) -> bool:
    """Whether a user (``uid``, a link's owner; ``gid``, the group it made the link with)
    can add and remove names in ``folder``."""
    mode = folder.st_mode
    if folder.st_uid == uid:
        return bool(mode & stat.S_IWUSR)
    return bool(mode & stat.S_IWOTH or (mode & stat.S_IWGRP and folder.st_gid == gid))


def _planted_link(path: Path) -> str | None:
    """The first link on the way to ``path`` (any part of it, and the parts of what each
    link names) that another user controls, described; or None. Such a link is owned by
    neither this user nor root, and sits in a folder its owner can write (their own, or a
    shared one like /tmp): its owner chooses, and can change, which file is replaced
    (root's report writing over /etc/shadow). The kernel's protected_symlinks rule, applied
    whatever it is set to, and to a link's folder that another user owns as well."""
    done = "/" if os.path.isabs(path) else os.getcwd()
    rest = list(reversed(Path(path).parts))
    links = 0
    while rest:
        part = rest.pop()
        if part in ("/", "", "."):
            continue
        if part == "..":
            done = os.path.dirname(done)
            continue
        here = os.path.join(done, part)
        try:
            link = os.lstat(here)
            if not stat.S_ISLNK(link.st_mode):
                done = here
                continue
            folder = os.stat(done)
            target = os.readlink(here)
        except OSError:
            return None  # what is not there is said by output_place
        if link.st_uid not in (os.geteuid(), 0) and _writable_by(folder, link.st_uid, link.st_gid):
            return f"{here} is a symlink another user (uid {link.st_uid}) can change"
        links += 1
        if links > _MAX_LINKS:
            return None  # a loop: said by output_place
        if os.path.isabs(target):
            done = "/"
        rest.extend(reversed(Path(target).parts))
    return None


def output_place(path: Path | str) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself when it is a regular file or
    does not exist yet, or the regular file a symlink there points to (written through, the
    link kept). Anything else (a directory, device, FIFO, socket, a dangling or looping
    link, a name ending in '/', another user's link in a shared folder) raises
    :class:`OutputError`: mockint never puts a file in such a thing's place."""
    fix = "give the name of a file to write (or '-' for standard output)"
    if not str(path) or str(path) == ".":
        raise OutputError(f"an empty output path: {fix}")
    if isinstance(path, str) and path.endswith(("/", "/.")):  # a Path has dropped them
        raise OutputError(f"{path}: ends in '/', so names a directory: {fix}")
    path = Path(path)
    planted = _planted_link(path)
    if planted:
        raise OutputError(f"{path}: {planted}; it is not followed: choose a path you own")
    try:
        st = os.stat(path)  # follows a symlink to what it names
    except FileNotFoundError:
        if os.path.islink(path):
            raise OutputError(
                f"{path}: a symlink to nothing ({os.readlink(path)}): {fix}"
            ) from None
        return path
    except OSError as e:
        raise OutputError(f"{path}: cannot be written ({e.strerror}): {fix}") from None
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path}: {kind_of(st.st_mode)}, not a regular file: {fix}")
    if not os.path.islink(path):
        return path
    real = Path(os.path.realpath(path))
    try:
        same = os.stat(real, follow_symlinks=False)
    except OSError:
        same = None
    if same is None or (same.st_dev, same.st_ino) != (st.st_dev, st.st_ino):
        # e.g. /proc/self/fd/N naming a deleted file: there is no path to replace
        raise OutputError(f"{path}: a link to {os.readlink(path)}, no file to replace: {fix}")
    return real


def report_place(path: Path) -> Path:
    """:func:`output_place` for a file the user names (a report, an export): never one of
    mockint's own files (:meth:`Paths.holds`), which writing it would destroy. A path naming
    an open descriptor (:func:`descriptor`) is itself: written to, not replaced."""
    fd = descriptor(path)
    if fd is not None:
        _writable_descriptor(path, fd)
        return Path(path)
    place = output_place(path)
    if paths().holds(place):
        raise OutputError(
            f"{path}: mockint's own data (writing there would destroy it): "
            "give another file to write"
        )
    return place


class _Unseekable(io.RawIOBase):
    """Writes passed on to ``out``, which cannot be seeked: zipfile then streams its
    entries instead of seeking back to their headers (in a file the shell appends to,
    each write lands at the end, and the archive came out damaged)."""

    def __init__(self, out: IO[bytes]):
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self._out.write(b)
        return len(b)

    def flush(self) -> None:
        self._out.flush()


@contextlib.contextmanager
def _direct(path: Path | str, fd: int) -> Iterator[IO[bytes]]:
    """Descriptor ``fd`` to write to as it is: standard output as Python holds it, any
    other a duplicate (its file not reopened: not truncated, appended to if it was)."""
    if fd == 1:
        out = sys.stdout.buffer
        yield cast(IO[bytes], _Unseekable(out))
        out.flush()
        return
    _writable_descriptor(path, fd)
    for stream in (sys.stdout, sys.stderr):  # what was said before comes before
        if stream is not None:
            stream.flush()
    with os.fdopen(os.dup(fd), "wb") as dup:
        yield cast(IO[bytes], _Unseekable(dup))


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_writer(path: Path | str, follow: bool = True) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` whole when the block ends, or not at all.

    The temporary file is created beside the target by :func:`tempfile.mkstemp` (an
    unpredictable name, opened ``O_EXCL|O_NOFOLLOW``, so a planted name or link cannot be
    followed); on any failure it is removed. A path naming an open descriptor (``-``,
    ``/dev/stdout``, ``/dev/fd/N``...: :func:`descriptor`) is written to it directly.
    What may be replaced is :func:`output_place`'s rule (OutputError otherwise), and a
    missing folder is an OutputError, not made (the user's own path). With ``follow``
    False (mockint's own files), a symlink at ``path`` is itself replaced, never written
    through (a link in the data directory must not send its files out of it), and missing
    folders are made. Raises OSError when the disk or the directory refuses (the caller
    says what to do).
    """
    fd = descriptor(path) if follow else None
    if fd is not None:
        with _direct(path, fd) as out:
            yield out
        return
    link = not follow and os.path.islink(path)
    place = Path(path) if link else output_place(path)
    mode = _new_file_mode() if link or not place.exists() else stat.S_IMODE(place.stat().st_mode)
    if follow and not place.parent.is_dir():  # the user's path: a typo makes no folders
        raise OutputError(
            f"{place.parent}: no such folder: create it first, or choose another path"
        )
    place.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=place.parent, prefix=f".{place.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, place)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path | str, data: bytes | str, follow: bool = True) -> Path:
    """Write a file whole or not at all: a full disk leaves no empty or partial file.

    :func:`atomic_writer`'s rules; raises OSError (the caller says what to do) or
    OutputError; the temporary file is removed.
    """
    with atomic_writer(path, follow) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


# free space under which a write the disk refused is taken to be the disk being full
NEARLY_FULL = 1 << 20


def disk_full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` is (all but) full. SQLite says a write a full
    disk refused as "database or disk is full", or as "disk I/O error", which alone
    named no fix."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    free = st.f_bfree if os.geteuid() == 0 else st.f_bavail  # root may use the reserve
    return free * st.f_frsize < NEARLY_FULL
