"""The Leitner review schedule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mockint.bank import Question
from mockint.rehearsal.schedule import INTERVALS, due, schedule
from mockint.storage.store import Attempt

QS = [Question(f"Q{i}", "C", f"q{i}?", "a.") for i in range(1, 5)]
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def att(qid: str, score: float, days: float, status: str = "complete") -> Attempt:
    return Attempt(
        "b",
        qid,
        "C",
        "",
        score,
        0.0,
        graded_at=(T0 + timedelta(days=days)).isoformat(),
        status=status,
    )


def test_boxes_rise_with_good_answers_and_fall_with_weak_ones() -> None:
    history = [
        att("Q1", 80, 0),
        att("Q1", 85, 1),
        att("Q1", 90, 4),
        att("Q2", 80, 0),
        att("Q2", 30, 1),
        att("Q3", 95, 0, status="interrupted"),
    ]
    s = {d.question.id: d for d in schedule(QS, history)}
    assert (s["Q1"].box, s["Q2"].box, s["Q3"].box) == (3, 1, 0)
    assert s["Q1"].due_at == T0 + timedelta(days=4 + INTERVALS[3])
    assert s["Q2"].due_at == T0 + timedelta(days=1 + 1) and s["Q2"].last_score == 30
    assert s["Q3"].due_at is None  # an interrupted answer does not count


def test_due_lists_never_answered_then_most_overdue() -> None:
    history = [att("Q1", 80, 0), att("Q2", 40, 0), att("Q3", 40, 5)]
    now = T0 + timedelta(days=3)
    # Q4 never answered; Q2 (box 1) due at day 1; Q1 (box 1, passed) due at day 1 too but
    # scored higher; Q3 answered at day 5 > now: due at day 6, not yet.
    assert [d.question.id for d in due(QS, history, now)] == ["Q4", "Q2", "Q1"]


def test_an_answer_graded_in_the_last_year_a_date_holds_is_never_due_not_an_overflow() -> None:
    # a store may hold any time (written before imports refused the future): 9999-12-31
    # plus a day is past what a datetime holds, and every schedule ended in OverflowError
    last = Attempt("b", "Q1", "C", "", 90.0, 0.0, graded_at="9999-12-31T23:59:59")
    s = {d.question.id: d for d in schedule(QS, [att("Q2", 40, 0), last])}
    assert s["Q1"].due_at == datetime.max.replace(tzinfo=timezone.utc)
    now = T0 + timedelta(days=3)
    assert [d.question.id for d in due(QS, [last], now)] == ["Q2", "Q3", "Q4"]
