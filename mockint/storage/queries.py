"""What a report needs from the store, without reading every answer whole.

A million answers hold gigabytes of transcripts, words and key points; the report's
figures need a few numbers per answer. :func:`scored` streams just those, and the
key points missed, the models and the delivery means are counted by SQLite itself,
so ``mockint report`` stays within seconds and a few hundred MB.
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
        f"SELECT id, question_id, category, graded_at, score FROM attempts WHERE {where} "
        "ORDER BY id",
        args,
    )
    return list(map(Scored._make, rows))


def missed(db: sqlite3.Connection, sel: Selection) -> list[tuple[str, str, int]]:
    """(question id, key point, answers that missed it), in the order first missed."""
    where, args = sel.where("a")
    rows = db.execute(
        "SELECT a.question_id, COALESCE(json_extract(k.value, '$.text'), '') AS point, "
        "COUNT(*), MIN(a.id * 100000 + k.key) AS first "
        f"FROM attempts a, json_each(a.key_points) k WHERE {where} "
        "AND json_extract(k.value, '$.status') = 'missed' "
        "GROUP BY a.question_id, point ORDER BY first",
        args,
    ).fetchall()
    return [(str(q), str(t), int(n)) for q, t, n, _ in rows]


def models(db: sqlite3.Connection, sel: Selection) -> list[dict[str, Any]]:
    """Every distinct ``models`` object among the selected answers, in the order first
    used."""
    where, args = sel.where()
    rows = db.execute(
        f"SELECT models FROM attempts WHERE {where} GROUP BY models ORDER BY MIN(id)", args
    ).fetchall()
    return [json.loads(r[0]) for r in rows if r[0]]


def delivery_sums(db: sqlite3.Connection, sel: Selection) -> dict[str, tuple[float, int]]:
    """Per numeric delivery figure: its sum over the answers that measured it, and how many
    did (so the report's means come out as from the rows themselves)."""
    where, args = sel.where("a")
    rows = db.execute(
        "SELECT d.key, SUM(d.value), COUNT(*) FROM attempts a, json_each(a.delivery) d "
        f"WHERE {where} AND a.delivery IS NOT NULL AND d.type IN ('integer', 'real') "
        "GROUP BY d.key",
        args,
    ).fetchall()
    return {str(k): (float(s), int(n)) for k, s, n in rows}


def notes(db: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    """The notes (why a score was lowered) of a few answers."""
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(f"SELECT id, notes FROM attempts WHERE id IN ({marks})", ids).fetchall()
    return {int(i): list(json.loads(n or "[]")) for i, n in rows}
