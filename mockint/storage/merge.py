"""Bringing a checked archive database into the store, one row at a time.

An archive's database may hold millions of rows, each up to the caps of
:mod:`~mockint.storage.untrusted`: they are never all in memory. :func:`check` reads
every row once and refuses the archive at the first that cannot be stored, before
anything is written; :func:`merge` reads them again and writes them in one transaction,
so a failure (a full disk, Ctrl-C) leaves the store as it was. Whether an answer is
already here, and which session of the archive became which here, is asked of the store
(an index, a temporary table of its connection), not of sets that grow with the archive.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from mockint.config import Paths
from mockint.errors import ArchiveError
from mockint.storage import scratch
from mockint.storage.intake import attempt_from_data, stored_time, strict_json
from mockint.storage.recordings import SAFE_PART, to_stored
from mockint.storage.store import Attempt, Store
from mockint.storage.untrusted import MAX_JSON_VALUES, Guarded, Unsafe, json_values, unfit

_JSON_COLUMNS = ("key_points", "words", "models", "delivery", "notes")

# copies the archive's entry of this name (a recording) into an open file
Fetch = Callable[[str, IO[bytes]], None]


@dataclass(frozen=True)
class ImportResult:
    attempts: int
    duplicates: int
    sessions: int
    recordings: int


def check(db: Guarded, names: Container[str]) -> None:
    """Read every session and answer of the archive, as :func:`merge` will: Unsafe at the
    first that cannot be stored, naming it."""
    for _ in sessions(db):
        pass
    for _ in attempts(db, names):
        pass


def sessions(db: Guarded) -> Iterator[dict[str, Any]]:
    """The archive's sessions in order, each checked, its times as the store writes them."""
    for row in db.rows("SELECT * FROM sessions ORDER BY id"):
        s = dict(row)
        why = unfit(s)  # first: it bounds the length of options, parsed below
        if why:
            raise Unsafe(f"session {s.get('id')!r}: {why}")
        ok = (
            isinstance(s.get("id"), int)
            and isinstance(s.get("started_at"), str)
            and isinstance(s.get("bank"), str)
            and isinstance(s.get("kind"), str)
            and isinstance(s.get("ended_at"), str | None)
            # a blob is no text to unfit(), and json.loads parses bytes too
            and isinstance(s.get("options"), str)
            and _json_object(s.get("options"))
        )
        if not ok:
            raise Unsafe(f"session {s.get('id')!r}: not a valid session row")
        try:
            for k in ("started_at", "ended_at"):
                s[k] = s[k] and stored_time(s[k], k)
        except ValueError as e:
            raise Unsafe(f"session {s['id']!r}: {e}") from None
        yield s


def attempts(db: Guarded, names: Container[str]) -> Iterator[Attempt]:
    """The archive's answers in order, each checked (:func:`attempt_from_data`,
    :func:`unfit`, its session and recording there)."""
    for row in db.rows("SELECT * FROM attempts ORDER BY id"):
        r = dict(row)
        n = sum(json_values(r[k]) for k in _JSON_COLUMNS if isinstance(r[k], str))
        if n > MAX_JSON_VALUES:
            raise Unsafe(
                f"answer row {r.get('id')!r}: up to {n:,} values in its JSON "
                f"(at most {MAX_JSON_VALUES:,})"
            )
        try:
            for k in _JSON_COLUMNS:
                r[k] = strict_json(r[k], k) if isinstance(r[k], str) else r[k]
            a = attempt_from_data({k: v for k, v in r.items() if k in Attempt.__dataclass_fields__})
        except (ValueError, TypeError) as e:
            raise Unsafe(f"answer row {r.get('id')!r}: {e}") from None
        why = unfit(r)
        if why:
            raise Unsafe(f"answer row {r.get('id')!r}: {why}")
        if not (a.started_at and a.graded_at):  # '' is "now" to the store: a new time at
            # every import, so an old archive's answer never matched itself and was added again
            raise Unsafe(f"answer row {a.id}: started_at and graded_at must be times")
        sid = a.session_id
        if sid is not None and db.first("SELECT 1 FROM sessions WHERE id = ?", (sid,)) is None:
            raise Unsafe(f"answer row {a.id}: session {sid} does not exist")
        if a.audio_path is not None and a.audio_path not in names:
            gone = a.audio_path[:80]
            raise Unsafe(f"answer row {a.id}: recording '{gone}' is not in the archive")
        yield a


def _json_object(x: Any) -> bool:
    try:
        return isinstance(strict_json(x), dict)
    except (TypeError, ValueError, RecursionError):
        return False


def _remove(copied: list[Path], dest_dir: Path) -> None:
    """Undo a failed import's copies: the recordings, and their folders left empty."""
    for p in copied:
        p.unlink(missing_ok=True)
    if dest_dir.is_dir() and not any(p.is_file() for p in dest_dir.rglob("*")):
        shutil.rmtree(dest_dir, ignore_errors=True)
        with contextlib.suppress(OSError):  # recordings/imported, if now empty
            dest_dir.parent.rmdir()


def _recording(
    name: str | None,
    dest_dir: Path,
    home: Path,
    fetch: Fetch,
    copied: list[Path],
    placed: dict[Path, Path],
) -> str | None:
    """Where an answer's recording (the archive's entry ``name``) is kept here: a file of
    that name (or that name numbered: ``a-2.flac``) holding the same bytes, or a new copy
    under the first free one. A file was once reused by its name alone: another archive's
    recording of that name stood in for this one, whose own audio was dropped. A new copy
    stays at its partial name (noted in ``copied``), its place noted in ``placed``, until
    :func:`_place` renames every copy at once, as the import commits: one killed while
    copying (no clean-up runs) left complete recordings of answers never stored."""
    if name is None:
        return None
    out = dest_dir / name.removeprefix("recordings/")
    if not out.resolve().is_relative_to(home):  # checked names; and yet
        raise ArchiveError(f"{name}: outside the data directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = partial(out)
    copied.append(part)
    with _created(part) as f:
        fetch(name, f)
    here, n = out, 1
    while here in placed or here.is_symlink() or here.exists():
        there = placed.get(here, here)  # a copy of this import, or a file here before
        if there.is_file() and not there.is_symlink() and filecmp.cmp(there, part, False):
            part.unlink()
            copied.remove(part)
            return str(here)
        n += 1
        here = out.with_stem(f"{out.stem}-{n}")
    placed[here] = part
    return str(here)


def _place(placed: dict[Path, Path], copied: list[Path], imported: Path) -> Path | None:
    """Rename this import's copies into their places (each noted in ``copied``), after
    listing those places in a journal (noted first): killed before the import commits, it
    leaves them to :func:`tidy` to remove. The journal, if any copy was placed."""
    if not placed:
        return None
    fd, name = tempfile.mkstemp(prefix=PLACING, dir=imported)
    journal = Path(name)
    copied.append(journal)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump([here.relative_to(imported).as_posix() for here in placed], f)
    for here, part in placed.items():
        part.rename(here)
        copied.append(here)
    return journal


PART = ".part"
# a partial copy's name: its recording's, then the id of the process copying it (none
# before 0.2: ``.a0.flac.part``)
PARTIAL = re.compile(rf"^\..+{re.escape(PART)}$")
# a journal of the recordings an import is renaming into place as it commits, and the
# most of one read (an archive's recordings' names, one line of JSON)
PLACING = ".placing-"
MAX_JOURNAL = 16 * 1024 * 1024


def tidy(ours: Store, imported: Path) -> list[Path]:
    """Remove what imports killed outright left in ``imported`` (recordings/imported):
    partial copies, and recordings placed by an import that never committed (a journal
    lists them; one an answer names is kept). Call it holding the store's write lock:
    every import copies and places recordings only while it holds that lock, so no
    partial copy or uncommitted place is a running import's, whatever its process id
    says (another pid namespace shares no ids). The paths removed."""
    if imported.is_symlink() or not imported.is_dir():
        return []  # a link planted as the folder: what it points at is not ours
    gone = scratch.remove_files(imported, PARTIAL)
    for journal in imported.glob(f"{PLACING}*"):
        if _own_file(journal):
            gone += _unplace(ours, imported, journal)
            journal.unlink(missing_ok=True)
    return gone


def _own_file(p: Path) -> bool:
    """Whether ``p`` is a regular file of this user's (a link is not)."""
    try:
        st = p.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()


def _unplace(ours: Store, imported: Path, journal: Path) -> list[Path]:
    """Remove the recordings a journal lists that no stored answer names (its import
    never committed); only this user's regular files inside ``imported``, reached
    through no link. The paths removed."""
    try:
        with journal.open("rb") as f:
            raw = f.read(MAX_JOURNAL + 1)
        listed = json.loads(raw) if len(raw) <= MAX_JOURNAL else None
    except (OSError, ValueError, RecursionError):
        return []  # cut short as it was written (nothing was placed yet), or not ours
    root = imported.resolve()
    places: dict[Path, set[str]] = {}
    for rel in listed if isinstance(listed, list) else []:
        parts = Path(rel).parts if isinstance(rel, str) else ()
        if not parts or Path(rel).is_absolute() or not all(SAFE_PART.match(x) for x in parts):
            continue  # names an import writes: a folder and a file, no "..", no NUL
        p = imported / rel
        if os.path.realpath(p) == str(root / rel) and _own_file(p):
            # as the store keeps it, and as an older mockint did (the path in full)
            places[p] = {to_stored(ours.home, str(p)) or "", str(p), str(root / rel)}
    if not places:
        return []
    ours.db.execute("CREATE TEMP TABLE IF NOT EXISTS placed (path TEXT PRIMARY KEY)")
    ours.db.execute("DELETE FROM temp.placed")
    forms = [(f,) for named in places.values() for f in named]
    ours.db.executemany("INSERT OR IGNORE INTO temp.placed VALUES (?)", forms)
    query = "SELECT DISTINCT audio_path FROM main.attempts WHERE audio_path IN temp.placed"
    named = {r[0] for r in ours.db.execute(query)}  # one pass over the answers
    gone = [p for p, f in places.items() if not f & named]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def partial(out: Path) -> Path:
    """Where this process copies a recording bound for ``out`` before it is renamed there
    (named after the process: the next import removes one whose process is gone)."""
    return out.with_name(f".{out.name}.{os.getpid()}{PART}")


def _created(part: Path) -> IO[bytes]:
    """``part`` made anew for writing: whatever is there (a link planted at the name, a
    copy left by a killed import) is removed, never followed."""
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    return os.fdopen(fd, "wb")


def merge(
    db: Guarded,
    names: Container[str],
    version: int,
    dest_dir: Path,
    paths: Paths,
    fetch: Fetch,
    done: list[ImportResult],
) -> ImportResult:
    """Write the archive (checked by :func:`check`) into the store in one transaction;
    answers already here are skipped. On any failure before it is committed, remove what
    was copied. Once committed, the result is put in ``done`` too: a Ctrl-C after (while
    the store closes) leaves the caller what was stored."""
    # long: one transaction's steps in order, and what a failure at any of them undoes
    home = paths.home.resolve()
    imported = paths.recordings / "imported"
    journal: Path | None = None
    copied: list[Path] = []
    placed: dict[Path, Path] = {}
    kept_as: dict[str | None, str | None] = {}  # answers sharing a recording share its copy
    added = dupes = recs = kept = 0
    with Store(paths.db) as ours:
        try:
            with ours.transaction():
                # inside the write transaction: a concurrent import of the same archive
                # waits, then finds these answers here
                _begin(ours, version)
                tidy(ours, imported)
                for s in sessions(db):
                    cur = ours.db.execute(
                        "INSERT INTO sessions (started_at, ended_at, bank, kind, options) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (s["started_at"], s["ended_at"], s["bank"], s["kind"], s["options"]),
                    )
                    ours.db.execute(
                        "INSERT INTO temp.import_sessions VALUES (?, ?)", (s["id"], cur.lastrowid)
                    )
                for a in attempts(db, names):
                    if _here(ours, a, version):
                        dupes += 1
                        continue
                    if a.audio_path not in kept_as:
                        kept_as[a.audio_path] = _recording(
                            a.audio_path, dest_dir, home, fetch, copied, placed
                        )
                    audio = kept_as[a.audio_path]
                    recs += audio is not None
                    sid = _session_here(ours, a.session_id)
                    ours.insert_attempt(replace(a, audio_path=audio, session_id=sid, id=None))
                    added += 1
                kept = _end(ours)
                journal = _place(placed, copied, imported)
            done.append(ImportResult(added, dupes, kept, recs))
        except BaseException as e:
            # Ctrl-C while COMMIT runs (seconds for a large archive) arrives once it has
            # returned: the answers are stored, and their recordings must stay with them
            if _committed(ours):
                done.append(ImportResult(added, dupes, kept, recs))
                _forget(journal)
                return done[0]
            _remove(copied, dest_dir)
            if isinstance(e, OSError):
                full = e.errno in (errno.ENOSPC, errno.EDQUOT)
                fix = "free some space" if full else "make it a folder you can write to"
                raise ArchiveError(
                    f"{dest_dir}: cannot write ({e.strerror}): {fix}; nothing was imported"
                ) from None
            raise
    _forget(journal)
    return done[0]


def _forget(journal: Path | None) -> None:
    """Remove a committed import's journal (its places are named by its answers)."""
    if journal is not None:
        with contextlib.suppress(OSError):  # left, the next import finds them named
            journal.unlink(missing_ok=True)


# --- what the store already holds, asked of the store -------------------------------------------


def _begin(ours: Store, version: int) -> None:
    """The temporary tables of this import (on the store's connection: gone when it
    closes): which archive session became which here; for an archive made before answers
    had an identity (schema 5), every answer's content, here and added."""
    ours.db.execute("CREATE TEMP TABLE import_sessions (old INTEGER PRIMARY KEY, new INTEGER)")
    if version < 5:
        ours.db.execute(
            "CREATE TEMP TABLE import_content (bank, question_id, started_at, graded_at, "
            "transcript, PRIMARY KEY (bank, question_id, started_at, graded_at, transcript)) "
            "WITHOUT ROWID"
        )
        ours.db.execute(
            "INSERT OR IGNORE INTO temp.import_content "
            "SELECT bank, question_id, started_at, graded_at, transcript FROM main.attempts"
        )


def _committed(ours: Store) -> bool:
    """Whether this import's transaction was committed: its temporary table, made inside
    it, is gone if it was rolled back (a temporary table's making is part of it)."""
    try:
        if ours.db.in_transaction:
            return False
        found = ours.db.execute(
            "SELECT 1 FROM temp.sqlite_master WHERE name = 'import_sessions'"
        ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


def _here(ours: Store, a: Attempt, version: int) -> bool:
    """Whether the answer is already stored (or was added by this import); for an old
    archive, an answer of the same content counts (and is counted from now on)."""
    if ours.db.execute("SELECT 1 FROM attempts WHERE uid = ?", (a.uid,)).fetchone():
        return True
    if version >= 5:
        return False
    key = (a.bank, a.question_id, a.started_at, a.graded_at, a.transcript)
    cur = ours.db.execute("INSERT OR IGNORE INTO temp.import_content VALUES (?, ?, ?, ?, ?)", key)
    return cur.rowcount == 0


def _session_here(ours: Store, old: int | None) -> int | None:
    if old is None:
        return None
    r = ours.db.execute("SELECT new FROM temp.import_sessions WHERE old = ?", (old,)).fetchone()
    return int(r[0]) if r else None


def _end(ours: Store) -> int:
    """Remove the sessions added whose answers were all here already (not worth keeping);
    the number of sessions kept."""
    ours.db.execute(
        "DELETE FROM main.sessions WHERE id IN (SELECT new FROM temp.import_sessions) "
        "AND NOT EXISTS (SELECT 1 FROM main.attempts a WHERE a.session_id = sessions.id)"
    )
    r = ours.db.execute(
        "SELECT COUNT(*) FROM temp.import_sessions m JOIN main.sessions s ON s.id = m.new"
    ).fetchone()
    return int(r[0])
