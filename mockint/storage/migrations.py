"""The store's schema, built by numbered migrations (``PRAGMA user_version`` counts them).

Each migration runs in its own write transaction, taken at once; a process that finds
another got there first skips it. Migrations also bring an imported archive's older
database up to date before its rows are read.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockint.storage.recordings import moved, to_stored

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
            db.execute(
                "UPDATE attempts SET key_points = ? WHERE id = ?", (json.dumps(points), attempt_id)
            )


@migration
def m004_attempt_notes(db: sqlite3.Connection) -> None:
    # notes: why a score was lowered ("restates the question", ...), JSON list of strings
    _run(db, "ALTER TABLE attempts ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'")


@migration
def m005_attempt_uid(db: sqlite3.Connection) -> None:
    # An answer's identity, made when it is graded: export and import match answers by it,
    # so identical answers saved in the same second stay distinct.
    _run(
        db,
        """
        ALTER TABLE attempts ADD COLUMN uid TEXT;
        UPDATE attempts SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
        CREATE UNIQUE INDEX attempts_uid ON attempts(uid)
        """,
    )


@migration
def m006_attempt_heard(db: sqlite3.Connection) -> None:
    # heard: what the recogniser heard, kept when the user corrected the transcript (which
    # is then what was graded); NULL when the transcript is as heard
    _run(db, "ALTER TABLE attempts ADD COLUMN heard TEXT")


@migration
def m007_attempt_mode(db: sqlite3.Connection) -> None:
    # mode: "practice" (hints, model answer, retakes) or "live" (one take, no help); every
    # answer before modes existed was practice
    _run(db, "ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'practice'")


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


@migration
def m008_relative_recordings(db: sqlite3.Connection) -> None:
    # Recordings are kept relative to the data directory, so a moved or copied directory
    # keeps them. An absolute path from where the directory used to be (moved before this
    # upgrade) is found by its recordings/... tail; a path outside stays (readers ignore it).
    home = database_dir(db)
    if home is None:
        return
    rows = db.execute("SELECT id, audio_path FROM attempts WHERE audio_path LIKE '/%'").fetchall()
    for attempt_id, audio in rows:
        rel = to_stored(home, audio)
        if rel is not None and rel.startswith("/"):
            rel = moved(home, audio) or audio
        if rel != audio:
            db.execute("UPDATE attempts SET audio_path = ? WHERE id = ?", (rel, attempt_id))


@migration
def m009_report_tallies(db: sqlite3.Connection) -> None:
    # A report over a million answers must not read every answer's JSON: the key points
    # each answer missed and its numeric delivery figures get narrow side tables (kept by
    # the store on insert and regrade), and the report's columns a covering index.
    _run(
        db,
        """
        CREATE TABLE attempt_missed (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            k INTEGER NOT NULL,
            point TEXT NOT NULL,
            PRIMARY KEY (attempt_id, k)
        ) WITHOUT ROWID;
        CREATE TABLE attempt_figures (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            figure TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (attempt_id, figure)
        ) WITHOUT ROWID;
        CREATE INDEX attempts_report ON attempts(
            bank, status, mode, session_id, graded_at, question_id, category, score);
        CREATE INDEX attempts_models ON attempts(models, bank, status, mode, session_id, graded_at)
        """,
    )
    rows = db.execute("SELECT id, key_points, delivery FROM attempts")
    for attempt_id, points, delivery in rows.fetchall():
        write_tallies(db, attempt_id, _loads(points), _loads(delivery))


def _loads(raw: object) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str | bytes) else None
    except ValueError:
        return None


def write_tallies(db: sqlite3.Connection, attempt_id: int, key_points: Any, delivery: Any) -> None:
    """(Re)write an answer's rows in the report's side tables: the key points it missed
    (their text as the report counts it) and its numeric delivery figures."""
    db.execute("DELETE FROM attempt_missed WHERE attempt_id = ?", (attempt_id,))
    db.execute("DELETE FROM attempt_figures WHERE attempt_id = ?", (attempt_id,))
    missed = [
        (attempt_id, k, str(p.get("text", "")))
        for k, p in enumerate(key_points if isinstance(key_points, list) else [])
        if isinstance(p, dict) and p.get("status") == "missed"
    ]
    figures = [
        (attempt_id, str(name), float(v))
        for name, v in (delivery.items() if isinstance(delivery, dict) else [])
        if isinstance(v, int | float)
    ]
    db.executemany("INSERT INTO attempt_missed VALUES (?, ?, ?)", missed)
    db.executemany("INSERT INTO attempt_figures VALUES (?, ?, ?)", figures)


def database_dir(db: sqlite3.Connection) -> Path | None:
    """The directory of the connection's main database file (None in memory)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file).parent
    return None


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def upgrade(db: sqlite3.Connection) -> None:
    """Apply every migration newer than the file's ``user_version``, each atomically."""
    for n, fn in enumerate(MIGRATIONS, 1):
        if version(db) >= n:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if version(db) < n:  # another process may have got here first
                fn(db)
                db.execute(f"PRAGMA user_version = {n}")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
