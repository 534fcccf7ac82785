"""Grading: key-point coverage logic with a fake embedder, behaviour with the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockint.bank import Bank, Question
from mockint.grade import GradeOptions, calibrate, grade, grade_many, spans, split_sentences

from .conftest import espeak

Q = Question(
    "Q1",
    "Cat",
    "What do you like?",
    "I like clean code. I enjoy solving logical problems. Testing matters to me.",
)


def test_split_sentences_keeps_abbreviations() -> None:
    text = "I completed my B.Sc. in Electronics. Then I moved, e.g. to Python! Why? Because."
    assert split_sentences(text) == [
        "I completed my B.Sc. in Electronics.",
        "Then I moved, e.g. to Python!",
        "Why?",
        "Because.",
    ]


def test_spans_cover_unpunctuated_speech_with_windows() -> None:
    assert spans("One two three. Four five six.") == [
        "One two three.",
        "Four five six.",
        "One two three. Four five six.",
    ]
    words = " ".join(f"w{i}" for i in range(50))
    s = spans(words, window=24, stride=12)
    assert s[0] == words  # the whole "sentence"
    assert s[1].split()[0] == "w0" and s[-1].split()[-1] == "w49"
    assert all(len(x.split()) <= 24 for x in s[1:])


def test_calibration_is_one_clipped_line() -> None:
    o = GradeOptions(floor=0.3, ceiling=0.7)
    assert calibrate(0.2, o) == 0 and calibrate(0.95, o) == 1
    assert calibrate(0.5, o) == pytest.approx(0.5)


def test_grade_marks_each_key_point(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    o = GradeOptions(floor=0.0, ceiling=1.0, fluent_share=0.0)
    g = grade("I enjoy solving logical problems every day.", Q, fake_embedder, o)
    assert [k.covered for k in g.key_points] == [False, True, False]
    assert [k.status for k in g.key_points] == ["missed", "covered", "missed"]
    assert g.key_points[1].match == "I enjoy solving logical problems every day."
    assert g.score == pytest.approx(100 * g.coverage, abs=0.1) and 0 < g.score < 100
    assert grade(Q.model_answer, Q, fake_embedder).score == 100
    empty = grade("   ", Q, fake_embedder)
    assert empty.score == 0 and not any(k.covered for k in empty.key_points)


def test_echo_and_i_dont_know_scores_zero_and_reports_the_hedge(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    g = grade("What do I like? Hmm, what I like. I'm not sure, I don't know.", Q, fake_embedder)
    assert g.score == 0
    assert g.hedges == ("i'm not sure", "i don't know")
    assert g.notes == ("nothing beyond the question itself and a hedge",)
    # a hedge inside a real answer is reported, not punished
    ok = grade("I'm not sure, but I like clean code and testing matters.", Q, fake_embedder)
    assert ok.score > 0 and ok.hedges == ("i'm not sure",)


def test_a_list_of_terms_is_scaled_down(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    o = GradeOptions(floor=0.0, ceiling=1.0)
    terms = grade("clean code, testing, logical problems", Q, fake_embedder, o)
    said = grade("I like clean code, and testing and logical problems matter.", Q, fake_embedder, o)
    assert terms.notes == ("reads as a list of terms, not an explanation",)
    assert terms.score < said.score


def test_grade_many_matches_one_by_one(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    answers = ["I like clean code.", "Testing matters to me a lot.", "Nothing to do with it."]
    one = [grade(a, Q, fake_embedder).score for a in answers]
    assert [g.score for g in grade_many([(a, Q) for a in answers], fake_embedder)] == one


@pytest.mark.slow
def test_model_answer_grades_at_least_90(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    for qid in ("Q1", "Q51", "Q133", "Q165", "Q195"):
        q = resume_bank.get(qid)
        assert grade(q.model_answer, q, embedder).score >= 90, qid


@pytest.mark.slow
def test_fluent_answer_to_another_question_grades_at_most_30(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    pairs = [("Q8", "Q175"), ("Q51", "Q195"), ("Q133", "Q24"), ("Q165", "Q3"), ("Q91", "Q115")]
    for qid, other in pairs:
        q, o = resume_bank.get(qid), resume_bank.get(other)
        assert q.category != o.category
        assert grade(o.model_answer, q, embedder).score <= 30, (qid, other)


@pytest.mark.slow
def test_spoken_model_answer_beats_spoken_other_answer(
    tmp_path: Path,
    embedder,
    transcriber,
    resume_bank: Bank,  # type: ignore[no-untyped-def]
) -> None:
    """espeak-ng speaks the answers; Whisper transcribes; the grader must tell them apart."""
    from mockint.audio import load_audio

    q, other = resume_bank.get("Q8"), resume_bank.get("Q175")
    own = transcriber.transcribe(load_audio(espeak(q.model_answer, tmp_path / "own.wav")))
    wrong = transcriber.transcribe(load_audio(espeak(other.model_answer, tmp_path / "other.wav")))
    g_own, g_wrong = grade(own.text, q, embedder), grade(wrong.text, q, embedder)
    assert g_own.score >= 70, own.text
    assert g_wrong.score <= 30, wrong.text
    assert g_own.score - g_wrong.score >= 50
