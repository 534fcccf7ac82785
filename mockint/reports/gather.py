"""A report straight from the store: the figures counted in SQL, the answers walked.

:func:`mockint.reports.report.build` takes whole Attempts; a million of them (with
their transcripts, words and key points) take minutes and gigabytes. Here the store
counts the figures itself, per category and question: a few hundred rows reach Python,
and the formats that show only figures get the :func:`~mockint.reports.report.brief`
report. The formats that list every answer (HTML, JSON, CSV) get the same report with
its answers and series as :class:`Walked` collections, read from the store while the
report is written, a few rows at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TypeVar

from mockint.bank import Bank, Question
from mockint.errors import StoreError
from mockint.reports.report import (
    CORRECTED_SHOWN,
    SERIES_TAIL,
    AttemptView,
    CategoryStats,
    Corrected,
    QuestionProgress,
    Report,
    Tallies,
    attempt_view,
    model_list,
    rank_missed,
    trend,
    weakest_rows,
)
from mockint.storage import queries
from mockint.storage.queries import Group, Scored, Selection
from mockint.storage.store import Store, explain

# formats that show every answer (the others show only the figures)
LISTING = ("html", "json", "csv")


def gather(
    store: Store, sel: Selection, bank: Bank | None, items: bool = False, weakest: int = 5
) -> Report | None:
    """The report over the selected complete answers (None if there are none); ``items``
    lists every answer and each whole series too (for the formats that list them), read
    from the store as the report is written; else the report is
    :func:`~mockint.reports.report.brief`. StoreError if the store cannot be read (now, or
    while the report is written)."""
    with _reading(store):
        found = _brief(store, sel, bank, weakest)
        if found is None:
            return None
        r, qs = found
        return _listed(store, sel, bank, r, qs) if items else r


@contextmanager
def _reading(store: Store) -> Iterator[None]:
    """The store's failures as one StoreError (a damaged file, a row that does not decode)."""
    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(explain(store.path, e)) from None
    except (ValueError, TypeError, KeyError) as e:  # a row that does not decode
        raise StoreError(
            explain(store.path, sqlite3.DatabaseError(f"malformed row: {e}"))
        ) from None


T = TypeVar("T")


class Walked(Collection[T]):
    """What a report lists, read from the store each time it is walked, never held whole."""

    def __init__(self, store: Store, count: int, walk: Callable[[], Iterator[T]]):
        self._store, self._count, self._walk = store, count, walk

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        with _reading(self._store):
            yield from self._walk()

    def __contains__(self, x: object) -> bool:
        return any(x == y for y in self)


class StoredAnswers(Walked[AttemptView]):
    """The selected answers as the report lists them, read a few at a time."""

    def __init__(
        self, store: Store, sel: Selection, bank: Bank | None, count: int, order: list[Group]
    ):
        super().__init__(store, count, lambda: self._views(queries.answer_rows(store.db, sel)))
        self._sel, self._order = sel, order
        self._questions = {q.id: q for q in bank.questions} if bank else {}

    def _views(self, rows: Iterator[sqlite3.Row]) -> Iterator[AttemptView]:
        for row in rows:
            a = self._store.from_row(row)
            yield attempt_view(a, self._questions.get(a.question_id))

    def by_question(self) -> Iterator[tuple[int, Iterator[AttemptView]]]:
        """Per question, the most recently answered first: its answers, newest first."""
        for g in self._order:
            yield g.answers, iter(self._question(g))

    def _question(self, g: Group) -> Walked[AttemptView]:
        def walk() -> Iterator[AttemptView]:
            return self._views(queries.answer_rows(self._store.db, self._sel, g.key))

        return Walked(self._store, g.answers, walk)


def _listed(store: Store, sel: Selection, bank: Bank | None, r: Report, qs: list[Group]) -> Report:
    """The brief report with every answer and each whole series, walked from the store."""

    def series(by: str, key: str, n: int) -> Walked[tuple[str, float]]:
        def walk() -> Iterator[tuple[str, float]]:
            return ((t, round(s, 1)) for t, s in queries.series(store.db, sel, by, key))

        return Walked(store, n, walk)

    return replace(
        r,
        categories=[
            replace(c, series=series("category", c.name, c.attempts)) for c in r.categories
        ],
        progress=[
            replace(p, series=series("question_id", p.question_id, p.attempts)) for p in r.progress
        ],
        items=StoredAnswers(
            store,
            sel,
            bank,
            r.attempts,
            sorted(qs, key=lambda g: (g.last_at, g.last), reverse=True),
        ),
    )


def _tallies(store: Store, sel: Selection) -> Tallies:
    return Tallies(
        queries.missed(store.db, sel),
        queries.models(store.db, sel),
        queries.delivery_sums(store.db, sel),
        lambda a: queries.notes(store.db, [a.id]).get(a.id, []),
    )


def _brief(
    store: Store, sel: Selection, bank: Bank | None, weakest: int
) -> tuple[Report, list[Group]] | None:
    """What :func:`assemble` makes of the selected answers, made brief, from the store's
    counts per category and per question (and the first and latest answer of each)."""
    cats = queries.groups(store.db, sel, "category")
    if not cats:
        return None
    qs = queries.groups(store.db, sel, "question_id")
    ends = queries.rows(store.db, [g.first for g in qs] + [g.last for g in qs + cats])
    questions = {q.id: q for q in bank.questions} if bank else {}
    progress = [_progress(g, ends, questions) for g in qs if g.answers > 1]
    latest = [ends[g.last] for g in qs]  # each question's, in the order first answered
    t = _tallies(store, sel)
    # by when graded: an older answer imported later has a higher id, and is not "latest"
    first = min((ends[g.first] for g in qs), key=lambda a: (a.graded_at, a.id))
    last = max((ends[g.last] for g in qs), key=lambda a: (a.graded_at, a.id))
    name = (
        sel.bank
        or store.db.execute("SELECT bank FROM attempts WHERE id = ?", (first.id,)).fetchone()[0]
    )
    return Report(
        bank=bank.name if bank else str(name),
        attempts=sum(g.answers for g in cats),
        readiness=round(sum(a.score for a in latest) / len(latest), 1),
        practised=len(qs),
        bank_questions=len(questions),
        categories=_categories(store, sel, cats, ends, bank, progress),
        weakest=weakest_rows(latest, questions, t, weakest),
        delivery={k: round(s / n, 1) for k, (s, n) in sorted(t.delivery.items())} or None,
        models=model_list(t.models),
        first_at=first.graded_at,
        last_at=last.graded_at,
        items=[],
        progress=progress,
        missed=rank_missed(t.missed, {g.key: g.answers for g in qs}, bank),
        corrected=_corrected(store, sel, questions),
    ), qs


def _corrected(store: Store, sel: Selection, questions: dict[str, Question]) -> Corrected:
    """The corrected words counted by the store, and the latest answers with any."""
    words, answers, ids = queries.corrected(store.db, sel, CORRECTED_SHOWN)
    latest = [store.attempt(i) for i in ids]
    return Corrected(
        words,
        answers,
        [attempt_view(a, questions.get(a.question_id)) for a in latest if a is not None],
    )


def _progress(
    g: Group, ends: dict[int, Scored], questions: dict[str, Question]
) -> QuestionProgress:
    first, best, latest = (round(x, 1) for x in (ends[g.first].score, g.best, ends[g.last].score))
    q = questions.get(g.key)
    text = q.text if q else ""
    category = ends[g.first].category
    return QuestionProgress(
        g.key, category, text, g.answers, first, best, latest, round(latest - first, 1), []
    )


def _categories(
    store: Store,
    sel: Selection,
    cats: list[Group],
    ends: dict[int, Scored],
    bank: Bank | None,
    progress: list[QuestionProgress],
) -> list[CategoryStats]:
    """Per category, in the bank's order (categories the bank lacks last)."""
    order = bank.categories if bank else []
    by_cat = {g.key: g for g in cats}
    names = [c for c in order if c in by_cat] + [c for c in by_cat if c not in order]
    out = []
    for c in names:
        g = by_cat[c]
        mine = [p for p in progress if p.category == c]
        series = queries.tail(store.db, sel, c, SERIES_TAIL)
        out.append(
            CategoryStats(
                c,
                g.answers,
                g.questions,
                sum(1 for q in bank.questions if q.category == c) if bank else 0,
                round(g.total / g.answers, 1),
                round(g.best, 1),
                round(ends[g.last].score, 1),
                trend(mine),
                [(t, round(s, 1)) for t, s in series],
                len(mine),
            )
        )
    return out
