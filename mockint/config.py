"""Where mockint keeps its data: one directory, moved by ``MOCKINT_HOME``.

Run from a source checkout, the data directory is the checkout itself, so the
design card's ``bank/``, ``models/`` and ``recordings/`` are the live folders.
Installed elsewhere, it is ``$XDG_DATA_HOME/mockint`` (``~/.local/share/mockint``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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


def home_dir() -> Path:
    """The data directory: ``MOCKINT_HOME``, else the checkout, else the XDG data dir."""
    env = os.environ.get("MOCKINT_HOME")
    if env:
        try:
            home = Path(env).expanduser().resolve()
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


def is_stdout(path: Path | str) -> bool:
    """``-`` or ``/dev/stdout``: the output is written to standard output as it is."""
    return str(path) in STDOUT_NAMES


def output_place(path: Path) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself when it is a regular file or
    does not exist yet, or the regular file a symlink there points to (written through, the
    link kept). Anything else (a directory, device, FIFO, socket, a dangling or looping
    link) raises :class:`OutputError`: mockint never puts a file in such a thing's place."""
    fix = "give the name of a file to write (or '-' for standard output)"
    if not str(path) or str(path) == ".":
        raise OutputError(f"an empty output path: {fix}")
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
    mockint's own files (:meth:`Paths.holds`), which writing it would destroy."""
    place = output_place(path)
    if paths().holds(place):
        raise OutputError(
            f"{path}: mockint's own data (writing there would destroy it): "
            "give another file to write"
        )
    return place


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` whole when the block ends, or not at all.

    The temporary file is created beside the target by :func:`tempfile.mkstemp` (an
    unpredictable name, opened ``O_EXCL|O_NOFOLLOW``, so a planted name or link cannot be
    followed); on any failure it is removed. ``-`` and ``/dev/stdout`` are written directly.
    What may be replaced is :func:`output_place`'s rule (OutputError otherwise); raises
    OSError when the disk or the directory refuses (the caller says what to do).
    """
    if is_stdout(path):
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    place = output_place(Path(path))
    mode = stat.S_IMODE(place.stat().st_mode) if place.exists() else _new_file_mode()
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


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write a file whole or not at all: a full disk leaves no empty or partial file.

    :func:`atomic_writer`'s rules; raises OSError (the caller says what to do) or
    OutputError; the temporary file is removed.
    """
    with atomic_writer(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)
