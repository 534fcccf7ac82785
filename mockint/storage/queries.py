"""What a report needs from the store, without reading every answer whole.

A million answers hold gigabytes of transcripts, words and key points; the report's
figures need a few numbers per answer. :func:`scored` streams just those from a
covering index, and the key points missed, the models and the delivery means are counted by
SQLite itself over narrow side tables (``attempt_missed``, ``attempt_figures``, kept by
the store with the columns a report selects by), never parsing an answer's JSON.
"""

from __future__ import annotations

import json
import sqlite3
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


def scored(db: sqlite3.Connection, sel: Selection) -> list[Scored]:
    """The selected answers' few figures, oldest first."""
    where, args = sel.where()
    cur = db.cursor()
    cur.row_factory = None  # plain tuples, made Scored in one pass
    rows = cur.execute(
        "SELECT id, question_id, category, graded_at, score FROM attempts "
        f"INDEXED BY attempts_report WHERE {where} "
        "ORDER BY id",
        args,
    )
    return list(map(Scored._make, rows))


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
    return [json.loads(r[0]) for r in rows if r[0]]


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


def notes(db: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    """The notes (why a score was lowered) of a few answers."""
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(f"SELECT id, notes FROM attempts WHERE id IN ({marks})", ids).fetchall()
    return {int(i): list(json.loads(n or "[]")) for i, n in rows}
