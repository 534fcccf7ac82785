"""The store's schema, built by numbered migrations (``PRAGMA user_version`` counts them).

Each migration runs in its own write transaction, taken at once; a process that finds
another got there first skips it. Migrations also bring an imported archive's older
database up to date before its rows are read.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mockint.storage.recordings import moved, to_stored
from mockint.transcript import corrections, words_if_corrected

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register a schema migration; they run in the order they are defined."""
    MIGRATIONS.append(fn)
    return fn


# answers a migration reads at a time: a million answers read at once took 1.6 GB
PAGE = 2_000


def paged(db: sqlite3.Connection, columns: str, where: str = "1") -> Iterator[tuple[Any, ...]]:
    """(id, *columns) of the answers ``where`` holds, by id, a page at a time: memory stays
    flat however many there are, and the migration may write the rows it has read."""
    last = -(1 << 63)
    while True:
        page = db.execute(
            f"SELECT id, {columns} FROM attempts WHERE id > ? AND ({where}) ORDER BY id LIMIT ?",
            (last, PAGE),
        ).fetchall()
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1][0]


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
    for attempt_id, raw in paged(db, "key_points"):
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
    for attempt_id, audio in paged(db, "audio_path", "audio_path LIKE '/%'"):
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
    for attempt_id, points, delivery in paged(db, "key_points, delivery"):
        missed, figures = tallies(_loads(points), _loads(delivery))
        db.executemany(
            "INSERT INTO attempt_missed VALUES (?, ?, ?)", [(attempt_id, *m) for m in missed]
        )
        db.executemany(
            "INSERT INTO attempt_figures VALUES (?, ?, ?)", [(attempt_id, *f) for f in figures]
        )


# the columns a report selects answers by, copied into the side tables (migration 10)
SELECTED = ("bank", "status", "mode", "session_id", "graded_at")


@migration
def m010_report_selection(db: sqlite3.Connection) -> None:
    # A report over a million answers joined each to its side rows and then sorted them:
    # the side tables now carry the columns a report selects by (copied by the store; a
    # trigger follows should an answer's change), each with a covering index in the order
    # its tallies are grouped; and an index walks each category's answers oldest first.
    cols = ", ".join(SELECTED)
    new = ", ".join(f"NEW.{c}" for c in SELECTED)
    _run(
        db,
        f"""
        CREATE TABLE missed_new (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            k INTEGER NOT NULL,
            point TEXT NOT NULL,
            question_id TEXT NOT NULL,
            bank TEXT NOT NULL, status TEXT NOT NULL, mode TEXT NOT NULL,
            session_id INTEGER, graded_at TEXT NOT NULL,
            PRIMARY KEY (attempt_id, k)
        ) WITHOUT ROWID;
        CREATE TABLE figures_new (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            figure TEXT NOT NULL,
            value REAL NOT NULL,
            bank TEXT NOT NULL, status TEXT NOT NULL, mode TEXT NOT NULL,
            session_id INTEGER, graded_at TEXT NOT NULL,
            PRIMARY KEY (attempt_id, figure)
        ) WITHOUT ROWID;
        INSERT INTO missed_new
            SELECT m.attempt_id, m.k, m.point, a.question_id, {_prefixed("a", SELECTED)}
            FROM attempts a INDEXED BY attempts_report
            JOIN attempt_missed m ON m.attempt_id = a.id ORDER BY m.attempt_id, m.k;
        INSERT INTO figures_new
            SELECT f.attempt_id, f.figure, f.value, {_prefixed("a", SELECTED)}
            FROM attempts a INDEXED BY attempts_report
            JOIN attempt_figures f ON f.attempt_id = a.id ORDER BY f.attempt_id, f.figure;
        DROP TABLE attempt_missed;
        DROP TABLE attempt_figures;
        ALTER TABLE missed_new RENAME TO attempt_missed;
        ALTER TABLE figures_new RENAME TO attempt_figures;
        CREATE INDEX attempt_missed_report ON attempt_missed(question_id, point, {cols});
        CREATE INDEX attempt_figures_report ON attempt_figures(figure, {cols}, value);
        CREATE INDEX attempts_category ON attempts(category, id, {cols}, question_id, score)
        """,
    )
    db.execute(  # one statement (its body's semicolons are not _run's)
        f"""
        CREATE TRIGGER attempts_selected AFTER UPDATE OF question_id, {cols} ON attempts
        BEGIN
            UPDATE attempt_missed SET (question_id, {cols}) = (NEW.question_id, {new})
                WHERE attempt_id = NEW.id;
            UPDATE attempt_figures SET ({cols}) = ({new}) WHERE attempt_id = NEW.id;
        END
        """
    )


@migration
def m011_corrected_and_by_question(db: sqlite3.Connection) -> None:
    # The text and Markdown reports count the words a correction changed without reading
    # every answer's words: the answers with any get a row (kept by the store on insert
    # and regrade). And the review schedule and a report that lists answers per question
    # walk a bank's answers by question, oldest first, by an index.
    _run(
        db,
        f"""
        CREATE TABLE attempt_corrected (
            attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,
            words INTEGER NOT NULL
        );
        CREATE INDEX attempts_by_question ON attempts(
            bank, question_id, id, {", ".join(SELECTED[1:])}, category, score)
        """,
    )
    rows = db.execute(  # only the words JSON that holds a correction's key is parsed
        "SELECT id, transcript, words FROM attempts WHERE instr(words, '\"heard\"') > 0"
    )
    # a few rows at a time: every corrected answer's words at once (timings of each word
    # of a minute's answer) would take gigabytes on a large store
    while some := rows.fetchmany(64):
        for attempt_id, transcript, words in some:
            n = corrected_words(transcript, _loads(words))
            if n:
                db.execute("INSERT INTO attempt_corrected VALUES (?, ?)", (attempt_id, n))


def corrected_words(transcript: Any, words: Any) -> int:
    """How many words a correction changed that the transcript still shows (0 once the
    user has retyped it), as the report counts them."""
    if not isinstance(transcript, str) or not isinstance(words, list):
        return 0
    try:
        return len(corrections(transcript, words_if_corrected(words)))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return 0


def _prefixed(alias: str, cols: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{c}" for c in cols)


def _loads(raw: object) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str | bytes) else None
    except ValueError:
        return None


def tallies(
    key_points: Any, delivery: Any
) -> tuple[list[tuple[int, str]], list[tuple[str, float]]]:
    """An answer's rows for the report's side tables: the key points it missed (their
    place and text as the report counts it) and its numeric delivery figures."""
    missed = [
        (k, str(p.get("text", "")))
        for k, p in enumerate(key_points if isinstance(key_points, list) else [])
        if isinstance(p, dict) and p.get("status") == "missed"
    ]
    figures = [  # a number past a float's range would fail float() (OverflowError)
        (str(name), float(v))
        for name, v in (delivery.items() if isinstance(delivery, dict) else [])
        if isinstance(v, int | float) and -1e308 < v < 1e308
    ]
    return missed, figures


def write_tallies(db: sqlite3.Connection, attempt_id: int, a: Any, delivery: Any) -> None:
    """(Re)write a stored answer's rows in the report's side tables (:func:`tallies`, with
    the columns a report selects by, and :func:`corrected_words`); ``a`` holds its
    key points, transcript and words (an Attempt)."""
    db.execute("DELETE FROM attempt_missed WHERE attempt_id = ?", (attempt_id,))
    db.execute("DELETE FROM attempt_figures WHERE attempt_id = ?", (attempt_id,))
    db.execute("DELETE FROM attempt_corrected WHERE attempt_id = ?", (attempt_id,))
    n = corrected_words(a.transcript, a.words)
    if n:
        db.execute("INSERT INTO attempt_corrected VALUES (?, ?)", (attempt_id, n))
    cols = ", ".join(SELECTED)
    row = db.execute(
        f"SELECT question_id, {cols} FROM attempts WHERE id = ?", (attempt_id,)
    ).fetchone()
    if row is None:
        return
    question, *selected = tuple(row)
    missed, figures = tallies(a.key_points, delivery)
    db.executemany(
        f"INSERT INTO attempt_missed (attempt_id, k, point, question_id, {cols}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(attempt_id, k, p, question, *selected) for k, p in missed],
    )
    db.executemany(
        f"INSERT INTO attempt_figures (attempt_id, figure, value, {cols}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(attempt_id, f, v, *selected) for f, v in figures],
    )


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
