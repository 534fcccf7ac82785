"""The SQLite store: sessions and attempts, numbered migrations, WAL.

Each attempt is written in its own transaction the moment it is graded, so a
crash loses at most the answer in progress. Every SQLite failure leaves here as
a :class:`~mockint.errors.StoreError` that names the file and the fix; a busy
store is waited on for ``BUSY_SECONDS``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from mockint.config import disk_full
from mockint.errors import StoreError
from mockint.storage import queries, scratch
from mockint.storage.migrations import MIGRATIONS, upgrade, write_tallies
from mockint.storage.recordings import to_stored, within

# how long a command waits for another process that holds the store's write lock
BUSY_SECONDS = 10.0

# a new store's page size (SQLite's default is 4 KB). A report reads its covering
# indexes whole, and an index filled answer by answer lies scattered over the file: read
# from a cold disk, a million answers' text report took 18.4-20.0 s on 4 KB pages and
# 4.0 s on 64 KB (docs/measurements.md). An existing store keeps its pages (docs/usage.md
# says how to rebuild one).
PAGE_SIZE = 65536
# the WAL is folded back into the store at about this size (SQLite's default is 1,000
# pages: 4 MB of 4 KB pages, but 64 MB of 64 KB ones, kept while a session is open)
WAL_BYTES = 4 * 1024 * 1024
# the private copy of a read-only WAL store, in the temp directory
READONLY_COPY = "mockint-readonly-"


def now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Attempt:
    """One graded answer as stored."""

    bank: str
    question_id: str
    category: str
    transcript: str
    score: float
    coverage: float
    key_points: list[dict[str, Any]] = field(default_factory=list)
    words: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)
    audio_path: str | None = None
    duration: float | None = None
    session_id: int | None = None
    started_at: str = ""
    graded_at: str = ""
    status: str = "complete"
    delivery: dict[str, Any] | None = None
    id: int | None = None
    # why the score was lowered, if it was (as the grader said it)
    notes: list[str] = field(default_factory=list)
    # identity, made when the answer is graded (a random 32-digit hex)
    uid: str = ""
    # what was heard, when the user corrected the transcript (None: graded as heard)
    heard: str | None = None
    # "practice" or "live" (see MODES)
    mode: str = "practice"


# how an answer was given: with help and retakes, or one take as in a real interview
MODES = ("practice", "live")


def new_uid() -> str:
    """A fresh attempt identity."""
    return uuid.uuid4().hex


def explain(path: Path, e: Exception) -> str:
    """One line for a SQLite failure: the file, what happened, and the fix."""
    msg = str(e)
    low = msg.lower()
    if path.is_dir():  # SQLite says "unable to open": the directory is writable all the same
        fix = f"remove or rename it (mv {path} {path}.folder), then run the command again"
        return f"{path}: a folder where the practice history (a file) goes: {fix}"
    if "locked" in low or "busy" in low:
        return (
            f"{path}: busy: another mockint process has held it for over "
            f"{BUSY_SECONDS:.0f} s: let that finish, then run the command again"
        )
    if "full" in low or ("disk i/o" in low and disk_full(path.parent)):
        return f"{path}: the disk is full: free some space, then run the command again"
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return (
            f"{path}: cannot write ({msg}): make {path.parent} writable, or set "
            "MOCKINT_HOME to a writable directory"
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return (
            f"{path}: the practice history is damaged ({msg}): move it aside "
            f"(mv {path} {path}.damaged), then 'mockint import' a backup if you "
            "have one"
        )
    return f"{path}: the practice history cannot be used ({msg})"


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(fn: F) -> F:
    """Turn SQLite failures (and damaged rows) inside a Store method into a StoreError."""

    @functools.wraps(fn)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise StoreError(explain(self.path, e)) from None
        except (ValueError, TypeError) as e:  # a row that does not decode
            damaged = sqlite3.DatabaseError(f"malformed row: {e}")
            raise StoreError(explain(self.path, damaged)) from None

    return wrapper  # type: ignore[return-value]


_JSON_FIELDS = ("key_points", "words", "models", "delivery", "notes")


class Store:
    """The practice history in one SQLite file.

    ``readonly`` opens an existing store for reading only (reports, review): it works
    in a read-only directory too, and never migrates.
    """

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        # the data directory: recordings are stored relative to it
        self.home = self.path.parent
        self.readonly = readonly
        self._copy_dir: str | None = None  # a private copy of a read-only WAL store
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                self._open()
                return
            except sqlite3.OperationalError as e:
                # Another process creating or upgrading the same store can make SQLite answer
                # "busy" at once, without waiting: try again until the deadline.
                busy = "locked" in str(e) or "busy" in str(e)
                if not busy or time.monotonic() > deadline:
                    raise StoreError(explain(self.path, e)) from None
                time.sleep(0.05)
            except sqlite3.Error as e:
                raise StoreError(explain(self.path, e)) from None
            except OSError as e:
                raise StoreError(
                    explain(self.path, sqlite3.OperationalError(f"unable to open: {e.strerror}"))
                ) from None

    def _open(self) -> None:
        self.db = self._connect()
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if not self.readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                str(self.path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new file's only; before WAL
            db.execute("PRAGMA journal_mode=WAL")
            page = int(db.execute("PRAGMA page_size").fetchone()[0])
            db.execute(f"PRAGMA wal_autocheckpoint = {max(16, WAL_BYTES // page)}")
            return db
        uri = self.path.resolve().as_uri()
        try:
            db = sqlite3.connect(
                f"{uri}?mode=ro",
                uri=True,
                timeout=BUSY_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            return self._unshared()

    def _unshared(self) -> sqlite3.Connection:
        """A WAL store in a read-only directory (no ``-shm``, none can be made): nobody can
        be writing it. Without a WAL, read the file as it is; with one, read a private copy
        of both, so committed answers still in the WAL are seen (``immutable`` hides them)."""
        wal = self.path.with_name(self.path.name + "-wal")
        if not wal.is_file() or wal.stat().st_size == 0:
            uri = self.path.resolve().as_uri()
            return sqlite3.connect(
                f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
        self._copy_dir, db = scratch.readonly_copy(self.path, wal, READONLY_COPY)
        return db

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        if self._copy_dir is not None:
            shutil.rmtree(self._copy_dir, ignore_errors=True)
            self._copy_dir = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply every migration newer than the file's ``user_version``, each atomically. A
        store a newer mockint made is neither read nor written: its tables may mean more."""
        if self.schema_version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: made by a newer mockint (schema {self.schema_version}; this "
                f"one knows {len(MIGRATIONS)}): update mockint (git pull, then make setup)"
            )
        if self.readonly:
            if self.schema_version < len(MIGRATIONS) and not self._upgraded_aside():
                raise StoreError(
                    f"{self.path}: made by an older mockint and cannot be written here: "
                    "run mockint once where it can be written, to upgrade it"
                )
            return
        upgrade(self.db)

    def _upgraded_aside(self) -> bool:
        """Upgrade an older store opened for reading, by a connection that writes, where
        the file and its directory can be written (the first report after an upgrade of
        mockint must not fail); False where they cannot."""
        if self._copy_dir is not None or not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        ):
            return False
        writer = sqlite3.connect(str(self.path), timeout=BUSY_SECONDS, isolation_level=None)
        try:
            writer.execute("PRAGMA journal_mode=WAL")
            writer.execute("PRAGMA foreign_keys=ON")
            upgrade(writer)
        finally:
            writer.close()
        return self.schema_version >= len(MIGRATIONS)

    @_guarded
    def start_session(
        self, bank: str, kind: str = "practice", options: dict[str, Any] | None = None
    ) -> int:
        """Open a session and return its id."""
        cur = self.db.execute(
            "INSERT INTO sessions (started_at, bank, kind, options) VALUES (?, ?, ?, ?)",
            (now(), bank, kind, json.dumps(options or {})),
        )
        return int(cur.lastrowid or 0)

    @_guarded
    def end_session(self, session_id: int) -> None:
        self.db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (now(), session_id))

    @_guarded
    def unfinished_session(self, bank: str) -> tuple[int, list[str]] | None:
        """The newest session of ``bank`` never ended, with its planned question ids."""
        r = self.db.execute(
            "SELECT id, options FROM sessions WHERE bank = ? AND ended_at IS NULL "
            "AND kind = 'practice' ORDER BY id DESC LIMIT 1",
            (bank,),
        ).fetchone()
        if r is None:
            return None
        return int(r["id"]), list(json.loads(r["options"]).get("questions", []))

    @_guarded
    def add_attempt(self, a: Attempt) -> int:
        """Write one attempt in its own transaction; return its id."""
        with self._tx():
            return self.insert_attempt(a)

    @_guarded
    def insert_attempt(self, a: Attempt) -> int:
        """Insert an attempt inside the caller's transaction; return its id."""
        row = {
            "session_id": a.session_id,
            "bank": a.bank,
            "question_id": a.question_id,
            "category": a.category,
            "started_at": a.started_at or now(),
            "graded_at": a.graded_at or now(),
            "audio_path": to_stored(self.home, a.audio_path),
            "duration": a.duration,
            "transcript": a.transcript,
            "score": a.score,
            "coverage": a.coverage,
            "status": a.status,
            "uid": a.uid or new_uid(),
            "mode": a.mode,
            "heard": a.heard,
            **{k: json.dumps(getattr(a, k)) for k in _JSON_FIELDS},
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = self.db.execute(f"INSERT INTO attempts ({cols}) VALUES ({marks})", list(row.values()))
        attempt_id = int(cur.lastrowid or 0)
        write_tallies(self.db, attempt_id, a, a.delivery)
        return attempt_id

    @_guarded
    def attempts(
        self,
        session_id: int | None = None,
        bank: str | None = None,
        since: str | None = None,
        mode: str | None = None,
        question: str | None = None,
        loose: bool = False,
    ) -> list[Attempt]:
        """Stored attempts, oldest first, optionally of one session, bank, mode or question,
        or since a time; ``loose``: only those graded outside a session."""
        sql, args = "SELECT * FROM attempts WHERE 1=1", list[object]()
        if loose:
            sql += " AND session_id IS NULL"
        if question is not None:
            sql += " AND question_id = ?"
            args.append(question)
        if mode is not None:
            sql += " AND mode = ?"
            args.append(mode)
        if session_id is not None:
            sql += " AND session_id = ?"
            args.append(session_id)
        if bank is not None:
            sql += " AND bank = ?"
            args.append(bank)
        if since is not None:
            sql += " AND graded_at >= ?"
            args.append(since)
        rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [self.from_row(r) for r in rows]

    def answered(self, bank: str) -> Iterator[queries.Answered]:
        """A bank's complete answers as the review schedule needs them (question, score,
        time), read as they are walked: a million answers are not held whole."""
        try:
            yield from queries.answered(self.db, bank)
        except sqlite3.Error as e:
            raise StoreError(explain(self.path, e)) from None

    def listed(self, session_id: int | None) -> Iterator[queries.Listed]:
        """A session's answers (None: those outside one) as ``review`` lists them, read
        as they are walked, no answer's JSON parsed."""
        try:
            yield from queries.listed(self.db, session_id)
        except sqlite3.Error as e:
            raise StoreError(explain(self.path, e)) from None

    @_guarded
    def counted(self, session_id: int | None) -> int:
        return queries.counted(self.db, session_id)

    @_guarded
    def question_ids(self, bank: str) -> list[str]:
        """The question ids a bank's answers are to."""
        rows = self.db.execute(
            "SELECT DISTINCT question_id FROM attempts INDEXED BY attempts_question WHERE bank = ?",
            (bank,),
        )
        return [str(r[0]) for r in rows.fetchall()]

    @_guarded
    def sessions(self) -> list[dict[str, Any]]:
        """Every session with its attempt count and mean score, newest first."""
        rows = self.db.execute(
            "SELECT s.*, COUNT(a.id) AS attempts, AVG(a.score) AS mean FROM sessions s "
            "LEFT JOIN attempts a ON a.session_id = s.id AND a.status = 'complete' "
            "GROUP BY s.id ORDER BY s.id DESC"
        ).fetchall()
        return [dict(r) for r in rows]

    @_guarded
    def banks(self) -> list[str]:
        """The banks that have attempts, in the order first practised."""
        rows = self.db.execute("SELECT bank FROM attempts GROUP BY bank ORDER BY MIN(id)")
        return [str(r[0]) for r in rows]

    @_guarded
    def regrade(self, attempt_id: int, a: Attempt, heard: str | None) -> None:
        """Replace an attempt's transcript, words and grade (a corrected transcript, or
        corrected words put back as heard, regraded), keeping what was first heard."""
        with self._tx():
            self.db.execute(
                "UPDATE attempts SET transcript = ?, words = ?, score = ?, coverage = ?, "
                "key_points = ?, notes = ?, heard = COALESCE(heard, ?) WHERE id = ?",
                (
                    a.transcript,
                    json.dumps(a.words),
                    a.score,
                    a.coverage,
                    json.dumps(a.key_points),
                    json.dumps(a.notes),
                    heard,
                    attempt_id,
                ),
            )
            write_tallies(self.db, attempt_id, a, self._delivery(attempt_id))

    def _delivery(self, attempt_id: int) -> Any:
        r = self.db.execute("SELECT delivery FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return json.loads(r[0]) if r and r[0] else None

    @_guarded
    def attempt(self, attempt_id: int) -> Attempt | None:
        r = self.db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return self.from_row(r) if r else None

    def from_row(self, r: sqlite3.Row) -> Attempt:
        """An attempt from a row of ``attempts`` (its recording's place inside the data
        directory's ``recordings/``, or None); each reader checks it is a file."""
        d = dict(r)
        for k in _JSON_FIELDS:
            d[k] = json.loads(d[k]) if d[k] is not None else None
        queries.check_row(d)
        # a recording is read from inside the data directory only, wherever it has moved
        found = within(self.home, d["audio_path"])
        d["audio_path"] = str(found) if found is not None else None
        return Attempt(**d)

    @_guarded
    def has_session(self, session_id: int) -> bool:
        found = self.db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,))
        return found.fetchone() is not None

    @_guarded
    def has_uid(self, uid: str) -> bool:
        found = self.db.execute("SELECT 1 FROM attempts WHERE uid = ?", (uid,)).fetchone()
        return found is not None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (taken at once, waiting for a busy store)."""
        try:
            with self._tx():
                yield
        except sqlite3.Error as e:
            raise StoreError(explain(self.path, e)) from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: everything read inside sees the store as it was at the
        first read (a report written over minutes lists no answer stored meanwhile)."""
        if self.db.in_transaction:
            yield
            return
        try:
            self.db.execute("BEGIN")
        except sqlite3.Error as e:
            raise StoreError(explain(self.path, e)) from None
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("COMMIT")

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # a failed COMMIT may have rolled back
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
