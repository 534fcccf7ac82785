"""Moving practice between machines: export the store and recordings to a zip, import it.

An archive is untrusted input. Import checks all of it before it writes anything:
entry names (only ``manifest.json``, ``mockint.db`` and ``recordings/...``, no
``..``, no absolute paths, no links), sizes (each entry and the whole, against
the caps below and the manifest, read through a bounded reader so a lying header
cannot exhaust memory), every checksum, the database's integrity and every row
by type and range, a row at a time (:mod:`~mockint.storage.merge`). Then it merges in
one transaction, matching answers by their identity: a refused archive changes nothing
and says which entry or row.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import lzma
import os
import re
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from mockint.config import Paths, atomic_writer, output_name
from mockint.errors import ArchiveError, StoreError
from mockint.storage import merge, scratch
from mockint.storage.merge import ImportResult
from mockint.storage.migrations import MIGRATIONS
from mockint.storage.recordings import MAX_PART, SAFE_PART, resolve, safe_stem
from mockint.storage.store import Store, now
from mockint.storage.untrusted import Unsafe, drop_stats, guarded, open_checked
from mockint.terminal import one_line

FORMAT = "mockint-export"
VERSION = 2  # 2: the manifest gives each file's size beside its sha256

# Caps (docs/usage.md, "Export and import"): far above a real history, far below harm.
# what export writes, import takes: an export over a cap is refused, a recording over it
# left out, each said
MAX_DB_BYTES = 1024 * 1024 * 1024  # ~150,000 answers with their words
MAX_RECORDING_BYTES = 128 * 1024 * 1024  # an hour of 16 kHz mono FLAC, however noisy: <= 116 MB
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class ExportResult:
    attempts: int
    recordings: int
    # recordings a row names that were not shipped (gone, or outside the data directory)
    left_out: list[str]


# --- export ---------------------------------------------------------------------------------


def export(paths: Paths, dest: Path) -> ExportResult:
    """Write the store (a consistent snapshot) and every recording it names to ``dest``.

    Only recordings inside the data directory are shipped; the result says which were not.
    """
    if not paths.db.exists():
        raise ArchiveError(f"{paths.db}: no practice history to export yet")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            snap = Path(tmp) / "mockint.db"
            attempts, recordings, left_out = _snapshot(paths, snap)
            if (size := snap.stat().st_size) > MAX_DB_BYTES:
                why = f"more than the {MAX_DB_BYTES:,} an import reads: it would not import"
                raise ArchiveError(f"{paths.db}: {size:,} bytes, {why}; nothing was written")
            files = {"mockint.db": snap, **recordings}
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "schema_version": len(MIGRATIONS),
                "created": now(),
                "attempts": attempts,
                "files": {
                    name: {"sha256": _sha_file(p), "size": p.stat().st_size}
                    for name, p in files.items()
                },
            }
            # the zip is written beside dest under a fresh name, then replaces it whole
            with atomic_writer(dest) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("manifest.json", json.dumps(manifest, indent=2))
                for name, p in files.items():
                    z.write(p, name)
    except OSError as e:
        if e.errno == errno.EPIPE:  # the reader of a pipe stopped (| head): no error to say
            raise
        raise ArchiveError(
            f"{output_name(dest)}: cannot write ({e.strerror}): "
            "free some space or choose another place"
        ) from None
    except sqlite3.Error as e:
        raise StoreError(f"{paths.db}: cannot be read for export ({e})") from None
    return ExportResult(attempts, len(recordings), left_out)


def _snapshot(paths: Paths, snap: Path) -> tuple[int, dict[str, Path], list[str]]:
    """Copy the store to ``snap`` (consistent even while another process writes), its
    audio paths made archive names; return the attempt count, the recordings to ship and
    what was left out (outside the data directory, or gone)."""
    with Store(paths.db, readonly=True) as src:
        dst = sqlite3.connect(str(snap))
        src.db.backup(dst)
    recs = paths.recordings.resolve()
    recordings: dict[str, Path] = {}
    left_out: list[str] = []
    rows = dst.execute("SELECT id, audio_path FROM attempts").fetchall()
    room = MAX_TOTAL_BYTES - snap.stat().st_size  # what an import takes in all
    for attempt_id, audio in rows:
        if not audio:
            continue
        p = resolve(paths.home, audio)
        size = p.stat().st_size if p is not None and p.is_file() else None
        full = len(recordings) + 2 >= MAX_ENTRIES or (size or 0) > room
        if p is None or size is None or size > MAX_RECORDING_BYTES or full:
            # outside the data directory, gone, or over an import's caps: the row, no path
            left_out.append(f"a{attempt_id}: {audio}")
            dst.execute("UPDATE attempts SET audio_path = NULL WHERE id = ?", (attempt_id,))
            continue
        name = _archive_name(p, recs, recordings)
        recordings[name] = p
        room -= size
        dst.execute("UPDATE attempts SET audio_path = ? WHERE id = ?", (name, attempt_id))
    dst.commit()
    drop_stats(dst)  # an ANALYZE run on the store: its statistics are not practice
    dst.execute("PRAGMA journal_mode=DELETE")
    dst.close()
    return len(rows), recordings, left_out


def _archive_name(p: Path, recs: Path, taken: dict[str, Path]) -> str:
    """Recording ``p``'s name in the archive: its place under recordings/; or, if an import
    would refuse that (a store from before names were made safe held 'réponse (final).flac'
    and its export imported nowhere), a safe name under recordings/renamed/."""
    if p.is_relative_to(recs):
        name = f"recordings/{PurePosixPath(*p.relative_to(recs).parts).as_posix()}"
        if name_fault(name) is None and taken.get(name, p) == p:
            return name
    ext = f".{safe_stem(p.suffix, 8)}" if p.suffix else ""
    base = f"recordings/renamed/{safe_stem(p.stem)}"
    name, n = f"{base}{ext}", 1
    while taken.get(name, p) != p:
        n += 1
        name = f"{base}-{n}{ext}"
    return name


def _sha_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


# --- checking an archive ----------------------------------------------------------------------


class _Refused(Exception):
    """Why an archive is refused (becomes an ArchiveError naming the file)."""


def name_fault(name: str) -> str | None:
    """What is wrong with a recording's archive name (recordings/ and plain relative
    parts, nothing else), or None."""
    parts = name.split("/")
    if len(parts) < 2 or parts[0] != "recordings":
        return "not a name mockint writes (outside recordings/)"
    for part in parts[1:]:
        if part in (".", "..") or not SAFE_PART.match(part):
            return (
                f"'{_shown(part)}' is not a recording name mockint writes (letters, digits, "
                f"'.', '-', '_' and spaces only, at most {MAX_PART} characters)"
            )
    return None


def _shown(text: str) -> str:
    """A name from an archive, on one line with no control character, and short."""
    short = text if len(text) <= 80 else f"{text[:77]}..."
    return one_line(short)


def _manifest(z: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = z.getinfo("manifest.json")
    except KeyError:
        raise _Refused("not a mockint export (no manifest.json)") from None
    try:
        manifest = json.loads(_read(z, info, 1 << 20))
    except ValueError as e:
        raise _Refused(f"manifest.json is not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Refused("not a mockint export")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Refused("manifest.json: schema_version must be a whole number")
    if version > len(MIGRATIONS):
        raise _Refused("made by a newer mockint: upgrade mockint first")
    files = manifest.get("files")
    if not isinstance(files, dict) or "mockint.db" not in files:
        raise _Refused("the archive holds no database")
    return manifest


def _expected(entry: Any) -> tuple[str, int | None]:
    """(sha256, size) of a manifest entry (version 1 gave only the sha256)."""
    if isinstance(entry, str):
        return entry, None
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
    ):
        return entry["sha256"], int(entry["size"])
    raise _Refused("manifest.json: each file needs a sha256 (and a size)")


def _check_entries(z: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, zipfile.ZipInfo]:
    """Every entry named safely, listed, within the caps, and matching its checksum."""
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _Refused(f"{len(infos):,} entries: at most {MAX_ENTRIES:,}")
    files: dict[str, Any] = manifest["files"]
    # 'recordings/a' beside 'recordings/a/b.flac' cannot both be copied: the second failed
    # as "cannot write (File exists): free some space", or an answer got a folder as audio
    names = {info.filename for info in infos}
    folders = {n[:i] for n in names for i, c in enumerate(n) if c == "/"}
    clash = sorted(folders & names)
    if clash:
        raise _Refused(f"entry '{clash[0][:80]}' is a file and a folder of other entries at once")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name == "manifest.json":
            continue
        fault = None if name == "mockint.db" else name_fault(name)
        if fault:
            raise _Refused(f"entry '{_shown(name)}': {fault}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _Refused(f"entry '{name}': a link, not a file")
        if name in by_name:
            raise _Refused(f"entry '{name}' appears twice")
        if name not in files:
            raise _Refused(f"entry '{name}' is not in the manifest")
        cap = MAX_DB_BYTES if name == "mockint.db" else MAX_RECORDING_BYTES
        sha, size = _expected(files[name])
        if info.file_size > cap or (size is not None and size > cap):
            raise _Refused(
                f"entry '{name}': {max(info.file_size, size or 0):,} bytes, more "
                f"than the {cap:,} allowed"
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise _Refused(f"more than {MAX_TOTAL_BYTES:,} bytes in all")
        h, n = hashlib.sha256(), 0
        for block in _blocks(z, info, cap):
            h.update(block)
            n += len(block)
        if h.hexdigest() != sha or (size is not None and n != size):
            raise _Refused(f"{name} does not match its checksum")
        by_name[name] = info
    missing = [n for n in files if n not in by_name]
    if missing:
        raise _Refused(f"{missing[0]} is missing")
    return by_name


def _blocks(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    """An entry's bytes in blocks, stopping past ``cap`` whatever its header says."""
    n = 0
    with z.open(info) as f:
        while block := f.read(1 << 20):
            n += len(block)
            if n > cap:
                raise _Refused(f"entry '{info.filename}' holds more than {cap:,} bytes")
            yield block


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    return b"".join(_blocks(z, info, cap))


def _copy(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, out: IO[bytes]) -> None:
    for block in _blocks(z, info, cap):
        out.write(block)


# --- import -------------------------------------------------------------------------------------


def import_archive(src: Path, paths: Paths) -> ImportResult:
    """Merge an export into this data directory; answers already here are skipped. A
    Ctrl-C once the answers are committed returns what was imported (it is whole)."""
    try:
        z = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as e:
        raise ArchiveError(
            f"{src}: not a readable zip archive ({e}); nothing was imported"
        ) from None
    done: list[ImportResult] = []
    try:
        return _imported(src, z, paths, done)
    except KeyboardInterrupt:
        if done:  # Ctrl-C once committed (the store closing, the temp copy removed)
            return done[0]
        raise


def _imported(
    src: Path, z: zipfile.ZipFile, paths: Paths, done: list[ImportResult]
) -> ImportResult:
    with z, _scratch(paths.home) as tmp:
        try:
            names = _check_entries(z, _manifest(z))
            theirs = Path(tmp) / "mockint.db"
            with open(theirs, "wb") as out:
                _copy(z, names["mockint.db"], MAX_DB_BYTES, out)
            # hardened, its schema checked before any row is read; then every row checked
            # before anything is written, and read again to be written: never all at once
            with guarded(theirs) as db:
                version = open_checked(db)
                db.row_factory = sqlite3.Row
                merge.check(db, names)
                dest_dir = paths.recordings / "imported" / _slug(src.stem)

                def fetch(name: str, out: IO[bytes]) -> None:
                    _copy(z, names[name], MAX_RECORDING_BYTES, out)

                return merge.merge(db, names, version, dest_dir, paths, fetch, done)
        except (_Refused, Unsafe) as e:
            raise ArchiveError(f"{src}: {e}; nothing was imported") from None
        except _DAMAGED as e:
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
                # writing the database's temp copy (or its upgrade) filled the disk: the
                # archive may be fine ("damaged archive ([Errno 28] ...)" said it was not)
                raise ArchiveError(
                    f"{paths.home}: cannot write ({e.strerror}): free some space; "
                    "nothing was imported"
                ) from None
            raise ArchiveError(f"{src}: damaged archive ({e}); nothing was imported") from None


# what reading a damaged entry raises: zipfile's own errors, and each decompressor's
# (deflate: zlib.error; bzip2: OSError, EOFError; LZMA: LZMAError, which is none of those);
# a method zipfile cannot read is NotImplementedError, an encrypted entry RuntimeError (its base)
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, RuntimeError)


# the temp copy of an archive's database lives in the data directory, named after the import's
# process, so an import killed outright (no cleanup ran) is tidied by the next one
SCRATCH = ".import-"


@contextlib.contextmanager
def _scratch(home: Path) -> Iterator[str]:
    """A private temp directory for this import inside ``home``, locked while the import
    runs (:func:`scratch.locked`), after removing the ones imports that no longer run
    left behind."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        clean_stale_imports(home)
        tmp = tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-", dir=home)
    except OSError as e:  # /proc/self, a read-only place, ...
        raise ArchiveError(
            f"{home}: the data directory cannot be written ({e.strerror or e}): "
            "point MOCKINT_HOME at a directory you can write"
        ) from None
    with scratch.locked(Path(tmp.name)), tmp as path:  # removed before it is unlocked
        yield path


def clean_stale_imports(home: Path) -> list[Path]:
    """Remove the temp copies in ``home`` left by imports that were killed (their lock is
    free, and their process is gone or the copy is over a day old: a concurrent import's
    are its own). The paths removed. (What they left among the recordings is removed
    under the store's write lock: :func:`merge.tidy`.)"""
    return scratch.clean_stale(home, SCRATCH)


def _slug(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:64] or "archive"
