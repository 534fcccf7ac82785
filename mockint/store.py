"""The SQLite store: sessions and attempts, numbered migrations, WAL.

Each attempt is written in its own transaction the moment it is graded, so a
crash loses at most the answer in progress.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register a schema migration; they run in the order they are defined."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            bank TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'practice',
            options TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions(id),
            bank TEXT NOT NULL,
            question_id TEXT NOT NULL,
            category TEXT NOT NULL,
            started_at TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            audio_path TEXT,
            duration REAL,
            transcript TEXT NOT NULL,
            words TEXT NOT NULL DEFAULT '[]',
            score REAL NOT NULL,
            coverage REAL NOT NULL,
            key_points TEXT NOT NULL DEFAULT '[]',
            models TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'complete'
        );
        CREATE INDEX attempts_question ON attempts(bank, question_id);
        CREATE INDEX attempts_session ON attempts(session_id);
        """,
    )


@migration
def m002_delivery_and_time_index(db: sqlite3.Connection) -> None:
    # delivery: pace, fillers and pauses measured from word times (JSON, None if not measured)
    _run(
        db,
        """
        ALTER TABLE attempts ADD COLUMN delivery TEXT;
        CREATE INDEX attempts_graded ON attempts(graded_at);
        """,
    )


@migration
def m003_key_point_status(db: sqlite3.Connection) -> None:
    # Key points stored before statuses existed carry only `covered`: give each its status,
    # so readers need no fallback.
    rows = db.execute("SELECT id, key_points FROM attempts").fetchall()
    for attempt_id, raw in rows:
        try:
            points = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(points, list):
            continue
        todo = [k for k in points if isinstance(k, dict) and "status" not in k]
        for k in todo:
            k["status"] = "covered" if k.get("covered") else "missed"
        if todo:
            db.execute("UPDATE attempts SET key_points = ? WHERE id = ?",
                       (json.dumps(points), attempt_id))  # fmt: skip


@migration
def m004_attempt_notes(db: sqlite3.Connection) -> None:
    # notes: why a score was lowered ("restates the question", ...), JSON list of strings
    _run(db, "ALTER TABLE attempts ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'")


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


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


_JSON_FIELDS = ("key_points", "words", "models", "delivery", "notes")


class Store:
    """The practice history in one SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply every migration newer than the file's ``user_version``, each atomically."""
        for n, fn in enumerate(MIGRATIONS, 1):
            if self.schema_version >= n:
                continue
            with self._tx():
                if self.schema_version < n:  # another process may have got here first
                    fn(self.db)
                    self.db.execute(f"PRAGMA user_version = {n}")

    def start_session(
        self, bank: str, kind: str = "practice", options: dict[str, Any] | None = None
    ) -> int:
        """Open a session and return its id."""
        cur = self.db.execute(
            "INSERT INTO sessions (started_at, bank, kind, options) VALUES (?, ?, ?, ?)",
            (now(), bank, kind, json.dumps(options or {})),
        )
        return int(cur.lastrowid or 0)

    def end_session(self, session_id: int) -> None:
        self.db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (now(), session_id))

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

    def add_attempt(self, a: Attempt) -> int:
        """Write one attempt in its own transaction; return its id."""
        with self._tx():
            return self.insert_attempt(a)

    def insert_attempt(self, a: Attempt) -> int:
        """Insert an attempt inside the caller's transaction; return its id."""
        row = {
            "session_id": a.session_id,
            "bank": a.bank,
            "question_id": a.question_id,
            "category": a.category,
            "started_at": a.started_at or now(),
            "graded_at": a.graded_at or now(),
            "audio_path": a.audio_path,
            "duration": a.duration,
            "transcript": a.transcript,
            "score": a.score,
            "coverage": a.coverage,
            "status": a.status,
            **{k: json.dumps(getattr(a, k)) for k in _JSON_FIELDS},
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = self.db.execute(f"INSERT INTO attempts ({cols}) VALUES ({marks})", list(row.values()))
        return int(cur.lastrowid or 0)

    def attempts(
        self,
        session_id: int | None = None,
        bank: str | None = None,
        since: str | None = None,
    ) -> list[Attempt]:
        """Stored attempts, oldest first, optionally of one session or bank, or since a time."""
        sql, args = "SELECT * FROM attempts WHERE 1=1", list[object]()
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
        return [self._attempt(r) for r in rows]

    def sessions(self) -> list[dict[str, Any]]:
        """Every session with its attempt count and mean score, newest first."""
        rows = self.db.execute(
            "SELECT s.*, COUNT(a.id) AS attempts, AVG(a.score) AS mean FROM sessions s "
            "LEFT JOIN attempts a ON a.session_id = s.id AND a.status = 'complete' "
            "GROUP BY s.id ORDER BY s.id DESC"
        ).fetchall()
        return [dict(r) for r in rows]

    def banks(self) -> list[str]:
        """The banks that have attempts, in the order first practised."""
        rows = self.db.execute("SELECT bank FROM attempts GROUP BY bank ORDER BY MIN(id)")
        return [str(r[0]) for r in rows]

    def attempt(self, attempt_id: int) -> Attempt | None:
        r = self.db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return self._attempt(r) if r else None

    @staticmethod
    def _attempt(r: sqlite3.Row) -> Attempt:
        d = dict(r)
        for k in _JSON_FIELDS:
            d[k] = json.loads(d[k]) if d[k] is not None else None
        return Attempt(**d)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
