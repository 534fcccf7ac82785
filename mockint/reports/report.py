"""The score report's figures: aggregation of stored attempts (pure).

:func:`build` turns stored attempts and the bank into a :class:`Report`;
:mod:`mockint.reports.render` turns a Report into text, HTML, JSON or CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from mockint.bank import Bank, Question
from mockint.storage.store import Attempt
from mockint.transcript import Word, corrections, words_if_corrected

SCHEMA_VERSION = 1
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class CategoryStats:
    """One category's figures over the selected attempts."""

    name: str
    attempts: int
    questions: int  # distinct questions answered
    bank_questions: int  # questions the bank has in this category
    mean: float
    best: float
    latest: float
    # progress: the mean change (latest minus first) over the category's questions answered
    # more than once; None (n/a) when none was
    trend: float | None
    series: Collection[tuple[str, float]] = field(default_factory=list)  # (graded_at, score)
    reanswered: int = 0  # questions answered more than once


@dataclass(frozen=True)
class QuestionProgress:
    """One question answered more than once: where it started, its best, where it is."""

    question_id: str
    category: str
    question: str
    attempts: int
    first: float
    best: float
    latest: float
    change: float  # latest minus first (points)
    series: Collection[tuple[str, float]] = field(default_factory=list)  # (graded_at, score)


@dataclass(frozen=True)
class Missed:
    """A key point missed in several answers to its question."""

    question_id: str
    question: str
    text: str
    missed: int  # answers that missed it
    answers: int  # answers to its question


@dataclass(frozen=True)
class AttemptView:
    """One attempt, with what the report shows beside it."""

    id: int
    session_id: int | None
    question_id: str
    category: str
    question: str
    model_answer: str
    graded_at: str
    score: float
    transcript: str
    key_points: list[dict[str, Any]]
    duration: float | None
    audio_path: str | None
    delivery: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)  # why the score was lowered
    # what was heard, when the user corrected the transcript (the corrected one was graded)
    heard: str | None = None
    # "practice" or "live"
    mode: str = "practice"
    # each word a correction changed, as the transcript shows it: {"word": its index among
    # the stored words, "at": where it starts in the transcript, "heard": ..., "shown":
    # ...}; numbered from 1 in this order for undo
    corrections: list[dict[str, Any]] = field(default_factory=list)
    # the transcript as the recogniser heard it (None: as shown, nothing was corrected)
    heard_text: str | None = None


# the answers with corrected words a text or Markdown report lists (latest first)
CORRECTED_SHOWN = 20


@dataclass(frozen=True)
class Corrected:
    """The words a correction changed, over a report's answers."""

    words: int = 0
    answers: int = 0  # answers with any
    latest: list[AttemptView] = field(default_factory=list)  # CORRECTED_SHOWN, newest first


def corrected_of(items: Iterable[AttemptView]) -> Corrected:
    """What :class:`Corrected` says of answers held in memory (latest: graded last)."""
    mine = sorted((a for a in items if a.corrections), key=lambda a: (a.graded_at, a.id))
    latest = list(reversed(mine[-CORRECTED_SHOWN:]))
    return Corrected(sum(len(a.corrections) for a in mine), len(mine), latest)


@runtime_checkable
class Listed(Protocol):
    """The answers a report lists, when they are read as they are walked (a store's)."""

    def __iter__(self) -> Iterator[AttemptView]: ...  # oldest first
    def __len__(self) -> int: ...
    def by_question(self) -> Iterator[tuple[int, Iterator[AttemptView]]]: ...


def by_question(items: Collection[AttemptView]) -> Iterator[tuple[int, Iterator[AttemptView]]]:
    """Per question, the most recently answered first: how many answers, and its answers
    newest first."""
    if isinstance(items, Listed):  # the store walks them in this order itself
        yield from items.by_question()
        return
    by_q: dict[str, list[AttemptView]] = {}
    for a in sorted(items, key=lambda a: (a.graded_at, a.id), reverse=True):
        by_q.setdefault(a.question_id, []).append(a)
    for xs in by_q.values():
        yield len(xs), iter(xs)


@dataclass(frozen=True)
class Report:
    """Everything the report shows.

    A report read from a large store may hold its listed answers and its series as
    collections read from the store as they are walked (see :mod:`mockint.reports.gather`):
    walk them, do not copy them.
    """

    bank: str
    attempts: int
    readiness: float  # mean of each answered question's latest score
    practised: int  # questions answered at least once
    bank_questions: int
    # each category's series is whole; in a brief report (no items: see :func:`brief`) it is
    # the last SERIES_TAIL points, and a question's is empty
    categories: list[CategoryStats]
    weakest: list[dict[str, Any]]  # question_id, category, question, latest
    delivery: dict[str, float] | None  # means over attempts that measured delivery
    models: list[dict[str, str]]  # name, sha256
    first_at: str
    last_at: str
    items: Collection[AttemptView]
    progress: list[QuestionProgress] = field(default_factory=list)
    missed: list[Missed] = field(default_factory=list)  # most often missed first
    corrected: Corrected = field(default_factory=Corrected)

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON schema has it (every answer and series copied: for a
        report held in memory; :func:`mockint.reports.render.write_json` streams)."""
        d = asdict(replace(self, corrected=Corrected()))
        del d["corrected"]  # the JSON lists every answer's corrections
        d["schema_version"] = SCHEMA_VERSION
        for c in d["categories"] + d["progress"]:
            c["series"] = [{"graded_at": t, "score": s} for t, s in c["series"]]
        return d


# the points of a category's series a brief report keeps (the text report's sparkline
# shows 20, `mockint history` 30)
SERIES_TAIL = 30


def brief(r: Report) -> Report:
    """The report as the formats that show only figures need it (text, Markdown,
    `mockint history`): no items, each category's series its last SERIES_TAIL points,
    each question's none."""
    return replace(
        r,
        items=[],
        categories=[replace(c, series=list(c.series)[-SERIES_TAIL:]) for c in r.categories],
        progress=[replace(p, series=[]) for p in r.progress],
    )


def held(r: Report) -> Report:
    """The report with its answers and series read into lists (to compare or keep; a
    report from a large store is better walked)."""
    return replace(
        r,
        items=list(r.items),
        categories=[replace(c, series=list(c.series)) for c in r.categories],
        progress=[replace(p, series=list(p.series)) for p in r.progress],
    )


def _mean(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 1) if xs else 0.0


def trend(progress: Sequence[QuestionProgress]) -> float | None:
    """The mean change over questions answered more than once (None if there are none)."""
    return round(_mean([p.change for p in progress]), 1) if progress else None


class Scored(Protocol):
    """What the figures read of an answer (a stored Attempt, or the store's light row)."""

    @property
    def id(self) -> int | None: ...
    @property
    def question_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def graded_at(self) -> str: ...
    @property
    def score(self) -> float: ...


def question_progress(done: Sequence[Scored], bank: Bank | None) -> list[QuestionProgress]:
    """Per question answered more than once (oldest first): first, best, latest, change."""
    by_q: dict[str, list[Scored]] = {}
    for a in done:
        by_q.setdefault(a.question_id, []).append(a)
    texts = {q.id: q.text for q in bank.questions} if bank else {}
    out = []
    for qid, xs in by_q.items():
        if len(xs) < 2:
            continue
        scores = [round(a.score, 1) for a in xs]
        series = [(a.graded_at, s) for a, s in zip(xs, scores, strict=True)]
        out.append(
            QuestionProgress(
                qid,
                xs[0].category,
                texts.get(qid, ""),
                len(xs),
                scores[0],
                max(scores),
                scores[-1],
                round(scores[-1] - scores[0], 1),
                series,
            )
        )
    return out


def most_missed(done: Sequence[Attempt], bank: Bank | None, limit: int = 10) -> list[Missed]:
    """The key points missed most often across answers, by question (missed twice or more
    first; with few answers, once)."""
    counts: dict[tuple[str, str], int] = {}
    for a in done:
        for k in a.key_points:
            if k.get("status") == "missed":
                key = (a.question_id, str(k.get("text", "")))
                counts[key] = counts.get(key, 0) + 1
    return rank_missed(
        [(q, t, n) for (q, t), n in counts.items()], answer_counts(done), bank, limit
    )


def answer_counts(done: Sequence[Scored]) -> dict[str, int]:
    """Question id -> how many of the answers are to it."""
    answers: dict[str, int] = {}
    for a in done:
        answers[a.question_id] = answers.get(a.question_id, 0) + 1
    return answers


def rank_missed(
    counts: Sequence[tuple[str, str, int]],
    answers: dict[str, int],
    bank: Bank | None,
    limit: int = 10,
) -> list[Missed]:
    """(question, key point, times missed), in the order first missed, ranked: most often
    first, then most often for its question's answers (``answers``: question id -> how
    many); grouped by question."""
    texts = {q.id: q.text for q in bank.questions} if bank else {}
    ranked = sorted(counts, key=lambda c: (-c[2], -c[2] / answers[c[0]]))
    top = [Missed(q, texts.get(q, ""), t, n, answers[q]) for q, t, n in ranked[:limit]]
    order = list(dict.fromkeys(m.question_id for m in top))  # grouped by question
    return sorted(top, key=lambda m: order.index(m.question_id))


@dataclass(frozen=True)
class Tallies:
    """The figures counted over whole answers (by the store in SQL, or from Attempts)."""

    missed: list[tuple[str, str, int]]  # (question id, key point, times), first-missed order
    models: list[dict[str, Any]]  # each answer's distinct ``models`` object
    delivery: dict[str, tuple[float, int]]  # figure -> (sum, answers that measured it)
    notes: Callable[[Any], list[str]]  # an answer's notes (asked of the weakest only)


def tallies(done: Sequence[Attempt]) -> Tallies:
    """The tallies of complete attempts held in memory."""
    counts: dict[tuple[str, str], int] = {}
    for a in done:
        for k in a.key_points:
            if k.get("status") == "missed":
                key = (a.question_id, str(k.get("text", "")))
                counts[key] = counts.get(key, 0) + 1
    sums: dict[str, tuple[float, int]] = {}
    for d in (a.delivery for a in done if a.delivery):
        for figure, v in d.items():
            if isinstance(v, int | float):
                s, n = sums.get(figure, (0.0, 0))
                sums[figure] = (s + float(v), n + 1)
    return Tallies(
        [(q, t, n) for (q, t), n in counts.items()],
        [a.models for a in done],
        sums,
        lambda a: list(a.notes),
    )


def build(attempts: Sequence[Attempt], bank: Bank | None, weakest: int = 5) -> Report:
    """Aggregate complete attempts (oldest first) into a Report."""
    done = [a for a in attempts if a.status == "complete"]
    questions = {q.id: q for q in bank.questions} if bank else {}
    items = [attempt_view(a, questions.get(a.question_id)) for a in done]
    return assemble(done, bank, tallies(done), items, weakest)


def weakest_rows(
    latest: Iterable[Scored], questions: dict[str, Question], t: Tallies, weakest: int
) -> list[dict[str, Any]]:
    """The ``weakest`` questions by their latest score, lowest first, with their notes."""
    return [
        {
            "question_id": a.question_id,
            "category": a.category,
            "question": questions[a.question_id].text if a.question_id in questions else "",
            "latest": round(a.score, 1),
            "notes": t.notes(a),
        }
        for a in sorted(latest, key=lambda a: a.score)[:weakest]
    ]


def assemble(
    done: Sequence[Scored],
    bank: Bank | None,
    t: Tallies,
    items: list[AttemptView],
    weakest: int = 5,
    bank_name: str = "",
) -> Report:
    """A Report from the complete answers' figures and their tallies (first, latest,
    progress and series by when each was graded, not by when it was stored)."""
    done = sorted(done, key=lambda a: (a.graded_at, a.id or 0))
    questions = {q.id: q for q in bank.questions} if bank else {}
    progress = question_progress(done, bank)
    latest: dict[str, Scored] = {}
    for a in done:
        latest[a.question_id] = a
    return Report(
        bank=bank.name if bank else (bank_name or getattr(done[0], "bank", "") if done else ""),
        attempts=len(done),
        readiness=_mean([a.score for a in latest.values()]),
        practised=len(latest),
        bank_questions=len(questions),
        categories=_categories(done, bank, progress),
        weakest=weakest_rows(latest.values(), questions, t, weakest),
        delivery={k: round(s / n, 1) for k, (s, n) in sorted(t.delivery.items())} or None,
        models=model_list(t.models),
        first_at=done[0].graded_at if done else "",
        last_at=done[-1].graded_at if done else "",
        items=items,
        progress=progress,
        missed=rank_missed(t.missed, answer_counts(done), bank),
        corrected=corrected_of(items),
    )


def model_list(used: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The distinct models (name, sha256) among answers' ``models`` objects, by name."""
    models: dict[tuple[str, str], dict[str, str]] = {}
    for ms in used:
        for m in ms.values():
            key = (str(m.get("name")), str(m.get("sha256")))
            models[key] = {"name": key[0], "sha256": key[1]}
    return sorted(models.values(), key=lambda m: m["name"])


def _categories(
    done: Sequence[Scored], bank: Bank | None, progress: Sequence[QuestionProgress]
) -> list[CategoryStats]:
    """Per category, in the bank's order (categories the bank lacks last)."""
    order = bank.categories if bank else []
    by_cat: dict[str, list[Scored]] = {}
    for a in done:
        by_cat.setdefault(a.category, []).append(a)
    names = [c for c in order if c in by_cat] + [c for c in by_cat if c not in order]
    cats = []
    for c in names:
        xs = by_cat[c]
        scores = [a.score for a in xs]
        mine = [p for p in progress if p.category == c]
        cats.append(
            CategoryStats(
                c,
                len(xs),
                len({a.question_id for a in xs}),
                sum(1 for q in bank.questions if q.category == c) if bank else 0,
                _mean(scores),
                round(max(scores), 1),
                round(scores[-1], 1),
                trend(mine),
                [(a.graded_at, round(a.score, 1)) for a in xs],
                len(mine),
            )
        )
    return cats


def attempt_view(a: Attempt, q: Question | None) -> AttemptView:
    """One complete answer as the report shows it (corrected words listed)."""
    words = words_if_corrected(a.words or [])
    changed = _changed(a.transcript, words) if words else []
    return AttemptView(
        a.id or 0,
        a.session_id,
        a.question_id,
        a.category,
        q.text if q else "",
        q.model_answer if q else "",
        a.graded_at,
        round(a.score, 1),
        a.transcript,
        a.key_points,
        a.duration,
        a.audio_path,
        a.delivery,
        list(a.notes),
        a.heard,
        a.mode,
        changed,
        " ".join(w.as_heard for w in words) if changed else None,
    )


def _changed(text: str, words: Sequence[Word]) -> list[dict[str, Any]]:
    """:attr:`AttemptView.corrections` of a transcript and its words."""
    if not corrections(text, words):
        return []
    out, at = [], 0
    for i, w in enumerate(words):
        if w.heard is not None:
            out.append({"word": i, "at": at, "heard": w.heard, "shown": w.text})
        at += len(w.text) + 1
    return out


def sparkline(scores: Sequence[float]) -> str:
    """Scores 0-100 as block characters."""
    return "".join(SPARKS[min(7, int(s / 100 * 8))] for s in scores)
