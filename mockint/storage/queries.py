"""What a report needs from the store, without reading every answer whole.

A million answers hold gigabytes of transcripts, words and key points; the report's
figures need a few numbers per answer. :func:`groups` counts them per category or
question in SQL, so the figures are a few hundred rows; :func:`series` and
:func:`answer_rows` walk the answers by index for the reports that list them. The key
points missed, the models and the delivery means are counted by SQLite itself over
narrow side tables (``attempt_missed``, ``attempt_figures``, kept by the store with the
columns a report selects by), never parsing an answer's JSON.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Selection:
    """Which complete answers a report covers (None: any)."""

    session_id: int | None = None
    bank: str | None = None
    since: str | None = None
    mode: str | None = None

    def where(self, alias: str = "") -> tuple[str, list[object]]:
        """The SQL condition (complete answers, these filters) and its arguments."""
        p = f"{alias}." if alias else ""
        sql, args = f"{p}status = 'complete'", list[object]()
        for column, value, op in (
            ("mode", self.mode, "="),
            ("session_id", self.session_id, "="),
            ("bank", self.bank, "="),
            ("graded_at", self.since, ">="),
        ):
            if value is not None:
                sql += f" AND {p}{column} {op} ?"
                args.append(value)
        return sql, args


class Scored(NamedTuple):
    """One complete answer as the report's figures see it."""

    id: int
    question_id: str
    category: str
    graded_at: str
    score: float


def missed(db: sqlite3.Connection, sel: Selection) -> list[tuple[str, str, int]]:
    """(question id, key point, answers that missed it), in the order first missed."""
    where, args = sel.where()
    rows = db.execute(
        "SELECT question_id, point, COUNT(*), MIN(attempt_id * 100000 + k) AS first "
        f"FROM attempt_missed INDEXED BY attempt_missed_report WHERE {where} "
        "GROUP BY question_id, point ORDER BY first",
        args,
    ).fetchall()
    return [(str(q), str(t), int(n)) for q, t, n, _ in rows]


def models(db: sqlite3.Connection, sel: Selection) -> list[dict[str, Any]]:
    """Every distinct ``models`` object among the selected answers, in the order first
    used."""
    where, args = sel.where()
    rows = db.execute(
        "SELECT models FROM attempts INDEXED BY attempts_models "
        f"WHERE {where} GROUP BY models ORDER BY MIN(id)",
        args,
    ).fetchall()
    found = [json.loads(r[0]) for r in rows if r[0]]
    for m in found:
        if not named_objects(m):
            raise sqlite3.DatabaseError(f"malformed row: models {str(m)[:40]!r}")
    return found


def named_objects(models: Any) -> bool:
    """Whether an answer's ``models`` maps names to objects, as mockint stores them."""
    return isinstance(models, dict) and all(isinstance(m, dict) for m in models.values())


# what each decoded field of a row must be (None aside): a row edited by hand, or by
# another program, is found damaged here, not as a traceback in whatever reads it later
ROW_TYPES: dict[str, type | tuple[type, ...]] = {
    "score": (int, float),
    "coverage": (int, float),
    "duration": (int, float),
    "key_points": list,
    "words": list,
    "models": dict,
    "delivery": dict,
    "notes": list,
    "started_at": str,
    "graded_at": str,
    "transcript": str,
}


def check_row(d: dict[str, Any]) -> None:
    """ValueError where a decoded row's field is not of its kind, or holds an element
    that is not (times are read as text: what a time holds is shown as it is)."""
    for k, kind in ROW_TYPES.items():
        v = d.get(k)
        if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
            raise ValueError(f"{k} of answer {d.get('id')} is {type(v).__name__}")
    if not named_objects(d.get("models") or {}):
        raise ValueError(f"models of answer {d.get('id')} are not objects")
    for k, shaped in ROW_ELEMENTS.items():
        if not all(shaped(e) for e in d.get(k) or ()):
            raise ValueError(f"{k} of answer {d.get('id')} hold an element of the wrong kind")
    if d.get("delivery") is not None and not delivery_shaped(d["delivery"]):
        raise ValueError(f"delivery of answer {d.get('id')} is not figures")


KEY_POINT_STATUSES = ("covered", "partly covered", "missed")


def number(x: Any) -> bool:
    """Whether ``x`` is a finite int or float (a bool is no number)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def point_shaped(k: Any) -> bool:
    """Whether a key point is as mockint stores one: a text, a known status, numbers."""
    return (
        isinstance(k, dict)
        and isinstance(k.get("text"), str)
        and k.get("status", "missed") in KEY_POINT_STATUSES
        and isinstance(k.get("match", ""), str)
        and all(number(k.get(f, 0)) for f in ("strength", "recall", "similarity"))
    )


def word_shaped(w: Any) -> bool:
    """Whether a word is as mockint stores one: a text, its times, a probability."""
    return (
        isinstance(w, dict)
        and isinstance(w.get("text"), str)
        and number(w.get("start"))
        and number(w.get("end"))
        and number(w.get("probability", 1.0))
        and isinstance(w.get("heard", ""), str | None)
    )


def delivery_shaped(d: Any) -> bool:
    """Whether a delivery is as mockint stores one: its figures numbers, its pauses times,
    its flags text."""
    if not isinstance(d, dict):
        return False
    figures = ("wpm", "fillers", "seconds", "words", "fillers_per_minute")
    fillers, pauses, flags = d.get("filler_words", {}), d.get("long_pauses", []), d.get("flags", [])
    target = d.get("target_seconds")
    return (
        all(number(d.get(f, 0)) for f in figures)
        and isinstance(fillers, dict)
        and all(map(number, fillers.values()))
        and isinstance(pauses, list)
        and all(
            isinstance(p, dict) and number(p.get("at")) and number(p.get("seconds")) for p in pauses
        )
        and isinstance(flags, list)
        and all(isinstance(f, str) for f in flags)
        and (
            target is None
            or (isinstance(target, list) and len(target) == 2 and all(map(number, target)))
        )
    )


# what each element of a row's lists must be, as mockint writes them
ROW_ELEMENTS: dict[str, Callable[[Any], bool]] = {
    "key_points": point_shaped,
    "words": word_shaped,
    "notes": lambda n: isinstance(n, str),
}


def _checked(row: tuple[Any, ...], score: int, at: int, timed: bool) -> tuple[Any, ...]:
    """``row`` where its score is a number and its time text, that reads as a time where
    ``timed`` (a row edited by hand or by another program is damaged here, not a traceback
    in whatever reads it)."""
    from datetime import datetime

    s, t = row[score], row[at]
    try:
        ok = isinstance(s, int | float) and isinstance(t, str)
        ok = ok and (not timed or bool(datetime.fromisoformat(t)))
    except ValueError:
        ok = False
    if not ok:
        raise sqlite3.DatabaseError(f"malformed row: score {s!r}, time {str(t)[:40]!r}")
    return row


def delivery_sums(db: sqlite3.Connection, sel: Selection) -> dict[str, tuple[float, int]]:
    """Per numeric delivery figure: its sum over the answers that measured it, and how many
    did (so the report's means come out as from the rows themselves)."""
    where, args = sel.where()
    rows = db.execute(
        "SELECT figure, SUM(value), COUNT(*) "
        f"FROM attempt_figures INDEXED BY attempt_figures_report WHERE {where} "
        "GROUP BY figure",
        args,
    ).fetchall()
    return {str(k): (float(s), int(n)) for k, s, n in rows}


class Group(NamedTuple):
    """The selected answers of one category or question, counted."""

    key: str  # the category or question id
    answers: int
    questions: int  # distinct questions among them
    total: float  # the sum of their scores, added oldest first (by category)
    best: float  # the highest score
    first: int  # the id of the one graded first (of those graded at once, the first stored)
    last: int  # the id of the one graded last (an imported older answer is not "latest")
    last_at: str  # when that one was graded


# each grouping's covering index: by category it walks each one's answers oldest first
_GROUPED = {"category": "attempts_category", "question_id": "attempts_report"}
# an answer's place in time, as one text that sorts as (graded_at, id): times sort as text
# (the store writes them in one form), and char(1) sorts before any character of a time
_WHEN = "graded_at || char(1) || printf('%019d', id)"


def groups(db: sqlite3.Connection, sel: Selection, by: str) -> list[Group]:
    """The selected answers grouped by ``category`` or ``question_id``, in the order first
    answered."""
    where, args = sel.where()
    distinct = "COUNT(DISTINCT question_id)" if by == "category" else "1"
    cur = db.cursor()
    cur.row_factory = None
    rows = cur.execute(
        f"SELECT {by}, COUNT(*), {distinct}, SUM(score), MAX(score), "
        f"MIN({_WHEN}) AS first, MAX({_WHEN}) FROM attempts INDEXED BY {_GROUPED[by]} "
        f"WHERE {where} GROUP BY {by} ORDER BY first",
        args,
    )
    return [
        Group(key, n, qs, total, best, _id(first), _id(last), last.rsplit("\x01", 1)[0])
        for key, n, qs, total, best, first, last in rows
    ]


def _id(when: str) -> int:
    """The id in a :data:`_WHEN` text."""
    return int(when.rsplit("\x01", 1)[1])


def rows(db: sqlite3.Connection, ids: list[int]) -> dict[int, Scored]:
    """A few answers' figures, by id."""
    cur = db.cursor()
    cur.row_factory = None
    out: dict[int, Scored] = {}
    unique = sorted(set(ids))
    for at in range(0, len(unique), 500):
        part = unique[at : at + 500]
        marks = ", ".join("?" for _ in part)
        found = cur.execute(
            f"SELECT id, question_id, category, graded_at, score FROM attempts "
            f"WHERE id IN ({marks})",
            part,
        )
        out.update((int(r[0]), Scored._make(r)) for r in found)
    return out


def tail(db: sqlite3.Connection, sel: Selection, category: str, n: int) -> list[tuple[str, float]]:
    """The last ``n`` selected answers of a category: (graded_at, score), oldest first."""
    where, args = sel.where()
    rows = db.execute(
        "SELECT graded_at, score FROM attempts INDEXED BY attempts_category "
        f"WHERE category = ? AND {where} ORDER BY graded_at DESC, id DESC LIMIT ?",
        [category, *args, n],
    ).fetchall()
    return [(str(t), float(s)) for t, s in reversed(rows)]


def notes(db: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    """The notes (why a score was lowered) of a few answers."""
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(f"SELECT id, notes FROM attempts WHERE id IN ({marks})", ids).fetchall()
    found = {int(i): json.loads(n or "[]") for i, n in rows}
    for i, n in found.items():
        if not (isinstance(n, list) and all(isinstance(x, str) for x in n)):
            raise sqlite3.DatabaseError(f"malformed row: notes of answer {i}")
    return found


def corrected(db: sqlite3.Connection, sel: Selection, latest: int) -> tuple[int, int, list[int]]:
    """The words a correction changed over the selected answers, how many answers have
    any, and the ``latest`` of those answers' ids, newest first."""
    where, args = sel.where("a")
    # CROSS JOIN keeps this order: the few corrected answers, each looked up (else SQLite
    # may walk every selected answer to look for its row: 0.34 s of 1M with none)
    join = f"FROM attempt_corrected c CROSS JOIN attempts a ON a.id = c.attempt_id WHERE {where}"
    words, answers = db.execute(f"SELECT SUM(c.words), COUNT(*) {join}", args).fetchone()
    ids = db.execute(
        f"SELECT a.id {join} ORDER BY a.graded_at DESC, a.id DESC LIMIT ?", [*args, latest]
    )
    return int(words or 0), int(answers), [int(r[0]) for r in ids.fetchall()]


# the covering index that walks a category's or a question's answers oldest first
_WALKED = {"category": "attempts_category", "question_id": "attempts_by_question"}


def series(
    db: sqlite3.Connection, sel: Selection, by: str, key: str
) -> Iterator[tuple[str, float]]:
    """The selected answers of one category or question (``by``): (graded_at, score),
    graded first first, read as they are walked."""
    where, args = sel.where()
    cur = db.cursor()
    cur.row_factory = None
    rows = cur.execute(
        f"SELECT graded_at, score FROM attempts INDEXED BY {_WALKED[by]} "
        f"WHERE {by} = ? AND {where} ORDER BY graded_at, id",
        [key, *args],
    )
    for row in rows:  # noqa: UP028 (``yield from`` closes the cursor, maybe after the store)
        yield row


def answer_rows(
    db: sqlite3.Connection, sel: Selection, question: str | None = None
) -> Iterator[sqlite3.Row]:
    """The selected answers whole, read a few at a time: every one in the order stored, or
    one question's graded last first."""
    where, args = sel.where()
    if question is None:  # the ids found by an index, in order: no sort of whole rows
        ids = f"SELECT id FROM attempts WHERE {where}"
        sql = f"SELECT * FROM attempts WHERE id IN ({ids}) ORDER BY id"
    else:
        ids = (  # (with the bank, as a report always has it, a search; else a scan)
            "SELECT id FROM attempts INDEXED BY attempts_by_question "
            f"WHERE question_id = ? AND {where}"
        )
        sql = f"SELECT * FROM attempts WHERE id IN ({ids}) ORDER BY graded_at DESC, id DESC"
        args = [question, *args]
    cur = db.execute(sql, args)
    while rows := cur.fetchmany(256):
        yield from rows


class Answered(NamedTuple):
    """An answer as the review schedule sees it."""

    question_id: str
    status: str
    score: float
    graded_at: str


def answered(db: sqlite3.Connection, bank: str) -> Iterator[Answered]:
    """A bank's complete answers' few figures, by question and graded first first within
    each, read as they are walked (the schedule folds each question's answers in order)."""
    cur = db.cursor()
    cur.row_factory = None
    rows = cur.execute(
        "SELECT question_id, status, score, graded_at FROM attempts "
        "INDEXED BY attempts_by_question WHERE bank = ? AND status = 'complete' "
        "ORDER BY question_id, graded_at, id",
        (bank,),
    )
    for row in rows:  # noqa: UP028 (``yield from`` closes the cursor, maybe after the store)
        yield Answered._make(_checked(row, 2, 3, timed=True))


class Listed(NamedTuple):
    """An answer as ``review`` lists it: its few columns, none of its JSON."""

    id: int
    question_id: str
    score: float
    status: str
    mode: str
    graded_at: str
    category: str


def _of_session(session_id: int | None) -> tuple[str, list[object]]:
    """The condition on the session (None: graded outside one), by its index."""
    if session_id is None:
        return "session_id IS NULL", []
    return "session_id = ?", [session_id]


def listed(db: sqlite3.Connection, session_id: int | None) -> Iterator[Listed]:
    """One session's answers (None: those graded outside a session) as ``review`` lists
    them, in the order stored, read as they are walked (a session may hold a million)."""
    where, args = _of_session(session_id)
    cur = db.cursor()
    cur.row_factory = None
    rows = cur.execute(
        "SELECT id, question_id, score, status, mode, graded_at, category "
        f"FROM attempts INDEXED BY attempts_session WHERE {where} ORDER BY id",
        args,
    )
    for row in rows:  # noqa: UP028 (``yield from`` closes the cursor, maybe after the store)
        yield Listed._make(_checked(row, 2, 5, timed=False))


def counted(db: sqlite3.Connection, session_id: int | None) -> int:
    """How many answers :func:`listed` walks, counted by the index alone."""
    where, args = _of_session(session_id)
    sql = f"SELECT COUNT(*) FROM attempts INDEXED BY attempts_session WHERE {where}"
    return int(db.execute(sql, args).fetchone()[0])
