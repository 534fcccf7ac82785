"""A report straight from the store: the figures streamed and counted in SQL.

:func:`mockint.reports.report.build` takes whole Attempts; a million of them (with
their transcripts, words and key points) take a minute and gigabytes. Here the store
gives each answer's few figures and counts the rest itself, and the answers
themselves are read only for the formats that list them (HTML, JSON, CSV). The
formats that show only figures get the :func:`~mockint.reports.report.brief` report,
counted per category and question by the store: a few hundred rows reach Python.
"""

from __future__ import annotations

import sqlite3

from mockint.bank import Bank, Question
from mockint.errors import StoreError
from mockint.reports.report import (
    SERIES_TAIL,
    CategoryStats,
    QuestionProgress,
    Report,
    Tallies,
    assemble,
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
    reads every answer too (for the formats that list them), else the report is
    :func:`~mockint.reports.report.brief`. StoreError if the store cannot be read."""
    try:
        if not items:
            return _brief(store, sel, bank, weakest)
        return _gather(store, sel, bank, weakest)
    except sqlite3.Error as e:
        raise StoreError(explain(store.path, e)) from None
    except (ValueError, TypeError) as e:  # a row that does not decode
        raise StoreError(
            explain(store.path, sqlite3.DatabaseError(f"malformed row: {e}"))
        ) from None


def _gather(store: Store, sel: Selection, bank: Bank | None, weakest: int) -> Report | None:
    done = queries.scored(store.db, sel)
    if not done:
        return None
    t = _tallies(store, sel)
    questions = {q.id: q for q in bank.questions} if bank else {}
    attempts = store.attempts(sel.session_id, sel.bank, sel.since, sel.mode)
    views = [
        attempt_view(a, questions.get(a.question_id)) for a in attempts if a.status == "complete"
    ]
    name = (
        sel.bank
        or store.db.execute("SELECT bank FROM attempts WHERE id = ?", (done[0].id,)).fetchone()[0]
    )
    return assemble(done, bank, t, views, weakest, bank_name=str(name))


def _tallies(store: Store, sel: Selection) -> Tallies:
    return Tallies(
        queries.missed(store.db, sel),
        queries.models(store.db, sel),
        queries.delivery_sums(store.db, sel),
        lambda a: queries.notes(store.db, [a.id]).get(a.id, []),
    )


def _brief(store: Store, sel: Selection, bank: Bank | None, weakest: int) -> Report | None:
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
    first, last = ends[min(g.first for g in qs)], ends[max(g.last for g in qs)]
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
