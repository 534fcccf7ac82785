"""The score report's figures: aggregation of stored attempts (pure).

:func:`build` turns stored attempts and the bank into a :class:`Report`;
:mod:`mockint.render` turns a Report into text, HTML, JSON or CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mockint.bank import Bank, Question
from mockint.store import Attempt

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
    trend: float  # mean of the later half minus mean of the earlier half (points)
    series: list[tuple[str, float]] = field(default_factory=list)  # (graded_at, score)


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


@dataclass(frozen=True)
class Report:
    """Everything the report shows."""

    bank: str
    attempts: int
    readiness: float  # mean of each answered question's latest score
    practised: int  # questions answered at least once
    bank_questions: int
    categories: list[CategoryStats]
    weakest: list[dict[str, Any]]  # question_id, category, question, latest
    delivery: dict[str, float] | None  # means over attempts that measured delivery
    models: list[dict[str, str]]  # name, sha256
    first_at: str
    last_at: str
    items: list[AttemptView]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        for c in d["categories"]:
            c["series"] = [{"graded_at": t, "score": s} for t, s in c["series"]]
        return d


def _mean(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 1) if xs else 0.0


def trend(scores: Sequence[float]) -> float:
    """Later half's mean minus the earlier half's (0 with fewer than two scores)."""
    if len(scores) < 2:
        return 0.0
    half = len(scores) // 2
    return round(_mean(scores[len(scores) - half :]) - _mean(scores[:half]), 1)


def build(attempts: Sequence[Attempt], bank: Bank | None, weakest: int = 5) -> Report:
    """Aggregate complete attempts (oldest first) into a Report."""
    done = [a for a in attempts if a.status == "complete"]
    questions = {q.id: q for q in bank.questions} if bank else {}
    latest: dict[str, Attempt] = {}
    for a in done:
        latest[a.question_id] = a
    weak = sorted(latest.values(), key=lambda a: a.score)[:weakest]
    models: dict[tuple[str, str], dict[str, str]] = {}
    for a in done:
        for m in a.models.values():
            key = (str(m.get("name")), str(m.get("sha256")))
            models[key] = {"name": key[0], "sha256": key[1]}
    return Report(
        bank=bank.name if bank else (done[0].bank if done else ""),
        attempts=len(done),
        readiness=_mean([a.score for a in latest.values()]),
        practised=len(latest),
        bank_questions=len(questions),
        categories=_categories(done, bank),
        weakest=[
            {
                "question_id": a.question_id,
                "category": a.category,
                "question": questions[a.question_id].text if a.question_id in questions else "",
                "latest": round(a.score, 1),
                "notes": list(a.notes),
            }
            for a in weak
        ],
        delivery=_delivery_means(done),
        models=sorted(models.values(), key=lambda m: m["name"]),
        first_at=done[0].graded_at if done else "",
        last_at=done[-1].graded_at if done else "",
        items=[_view(a, questions.get(a.question_id)) for a in done],
    )


def _categories(done: Sequence[Attempt], bank: Bank | None) -> list[CategoryStats]:
    """Per category, in the bank's order (categories the bank lacks last)."""
    order = bank.categories if bank else []
    by_cat: dict[str, list[Attempt]] = {}
    for a in done:
        by_cat.setdefault(a.category, []).append(a)
    names = [c for c in order if c in by_cat] + [c for c in by_cat if c not in order]
    cats = []
    for c in names:
        xs = by_cat[c]
        scores = [a.score for a in xs]
        cats.append(
            CategoryStats(
                c,
                len(xs),
                len({a.question_id for a in xs}),
                sum(1 for q in bank.questions if q.category == c) if bank else 0,
                _mean(scores),
                round(max(scores), 1),
                round(scores[-1], 1),
                trend(scores),
                [(a.graded_at, round(a.score, 1)) for a in xs],
            )
        )
    return cats


def _delivery_means(done: Sequence[Attempt]) -> dict[str, float] | None:
    measured = [a.delivery for a in done if a.delivery]
    if not measured:
        return None
    keys = sorted({k for d in measured for k, v in d.items() if isinstance(v, int | float)})
    return {
        k: _mean([float(d[k]) for d in measured if isinstance(d.get(k), int | float)])
        for k in keys
    }


def _view(a: Attempt, q: Question | None) -> AttemptView:
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
    )


def sparkline(scores: Sequence[float]) -> str:
    """Scores 0-100 as block characters."""
    return "".join(SPARKS[min(7, int(s / 100 * 8))] for s in scores)
