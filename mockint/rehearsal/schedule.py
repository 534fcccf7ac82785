"""Which questions come back, and when: Leitner boxes over the attempt history.

Every question starts in box 0 (due now). A graded answer scoring at least
``PASS`` moves it up one box; a lower score sends it back to box 1. A question
in box ``b`` is due ``INTERVALS[b]`` days after its last answer. So weak
answers come back the next day and strong ones after 3, 7, 16, then 35 days.
Pure: attempts in, a schedule out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from mockint.bank import Question


class Answer(Protocol):
    """What the schedule reads of an answer (a stored Attempt, or the store's light row)."""

    @property
    def question_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def graded_at(self) -> str: ...


PASS = 70.0
INTERVALS = (0, 1, 3, 7, 16, 35)  # days, by box


@dataclass(frozen=True)
class Due:
    """A question's place in the schedule."""

    question: Question
    box: int
    last_score: float | None
    last_at: datetime | None
    due_at: datetime | None  # None: never answered, due now

    def overdue(self, now: datetime) -> float:
        """Days past due (negative: not yet due); never-answered questions are most overdue."""
        if self.due_at is None:
            return float("inf")
        return (now - self.due_at).total_seconds() / 86400


def _parse(ts: str) -> datetime:
    d = datetime.fromisoformat(ts)
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _after(at: datetime, days: int) -> datetime:
    """``days`` after ``at``; the last time a datetime holds if that is past year 9999
    (a store may hold any time: one graded on 9999-12-31 ended every schedule in an
    OverflowError)."""
    try:
        return at + timedelta(days=days)
    except OverflowError:
        return datetime.max.replace(tzinfo=timezone.utc)


def schedule(questions: Sequence[Question], attempts: Iterable[Answer]) -> list[Due]:
    """Each question's box, last score and due time, from complete attempts (each
    question's in the order graded: an older answer imported later comes first)."""
    boxes: dict[str, int] = {}
    last: dict[str, tuple[float, datetime]] = {}
    for a in attempts:
        if a.status != "complete":
            continue
        box = boxes.get(a.question_id, 0)
        boxes[a.question_id] = min(box + 1, len(INTERVALS) - 1) if a.score >= PASS else 1
        last[a.question_id] = (a.score, _parse(a.graded_at))
    out = []
    for q in questions:
        if q.id in boxes:
            box = boxes[q.id]
            score, at = last[q.id]
            out.append(Due(q, box, score, at, _after(at, INTERVALS[box])))
        else:
            out.append(Due(q, 0, None, None, None))
    return out


def _urgent_first(items: Iterable[Due], now: datetime) -> list[Due]:
    """Never answered first, then most overdue, then weakest."""
    return sorted(items, key=lambda d: (-d.overdue(now), d.last_score or 0.0))


def due(questions: Sequence[Question], attempts: Iterable[Answer], now: datetime) -> list[Due]:
    """Questions due by ``now``, most urgent first."""
    return _urgent_first((d for d in schedule(questions, attempts) if d.overdue(now) >= 0), now)


def weakest_first(
    questions: Sequence[Question], attempts: Iterable[Answer], now: datetime
) -> list[Question]:
    """Practice order for ``--order weakest``: what is due first, then the rest by due time."""
    return [d.question for d in _urgent_first(schedule(questions, attempts), now)]
