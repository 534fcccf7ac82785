"""Grading: key-point coverage logic with a fake embedder, behaviour with the real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockint.bank import Bank, Question
from mockint.grading.grade import GradeOptions, calibrate, grade, grade_many
from mockint.text import span_ranges, spans, split_sentences, units

from .conftest import espeak

DATA = Path(__file__).parent / "data"

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


def test_spans_and_units_are_ranges_of_the_original_text() -> None:
    text = "First point here;  second point comes next.\nThen   a third one, with a clause or two."
    for a, b in span_ranges(text):
        assert text[a:b] == text[a:b].strip() and text[a:b] in text
    assert "second point comes next." in spans(text)
    assert [text[a:b] for a, b in units(text)] == split_sentences(text)
    long = " ".join(f"w{i}" for i in range(150)) + "."
    pieces = [long[a:b].split() for a, b in units(long, unit_words=64)]
    assert [len(p) for p in pieces] == [64, 64, 22] and sum(pieces, []) == long.split()


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
    # every word of the key point was said: full recall; the span says more: lower similarity
    assert g.key_points[1].recall == pytest.approx(1.0)
    assert 0.5 < g.key_points[1].similarity < 0.99
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


def test_restating_the_question_with_an_answer_is_not_an_echo(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    q = Question(
        "Q2", "Cat", "When does Python create a bytecode file?", "When importing a module."
    )
    # four of its five content words are the question's, but "importing" answers it
    g = grade("Python will create a bytecode file when importing.", q, fake_embedder)
    assert g.score > 30 and not g.notes
    echo = grade("Python, a bytecode file. I don't know.", q, fake_embedder)
    assert echo.score == 0 and echo.notes == ("nothing beyond the question itself and a hedge",)


def test_a_list_of_terms_is_scaled_down(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    o = GradeOptions(floor=0.0, ceiling=1.0)
    terms = grade("clean code, testing, logical problems, solving", Q, fake_embedder, o)
    said = grade("I like clean code, and testing and logical problems matter.", Q, fake_embedder, o)
    assert terms.notes == ("reads as a list of terms, not an explanation",)
    assert terms.score < said.score
    # one or two terms are a terse answer, not a list
    assert not grade("clean code", Q, fake_embedder, o).notes


def test_grade_many_matches_one_by_one(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    answers = ["I like clean code.", "Testing matters to me a lot.", "Nothing to do with it."]
    one = [grade(a, Q, fake_embedder).score for a in answers]
    assert [g.score for g in grade_many([(a, Q) for a in answers], fake_embedder)] == one


@pytest.mark.slow
def test_every_model_answer_grades_at_least_95_against_itself(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    qs = resume_bank.questions
    grades = grade_many([(q.model_answer, q) for q in qs], embedder)
    low = [(q.id, g.score) for q, g in zip(qs, grades, strict=True) if g.score < 95]
    assert len(qs) == 200 and not low


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
    from mockint.sound.audio import load_audio

    q, other = resume_bank.get("Q8"), resume_bank.get("Q175")
    own = transcriber.transcribe(load_audio(espeak(q.model_answer, tmp_path / "own.wav")))
    wrong = transcriber.transcribe(load_audio(espeak(other.model_answer, tmp_path / "other.wav")))
    g_own, g_wrong = grade(own.text, q, embedder), grade(wrong.text, q, embedder)
    assert g_own.score >= 70, own.text
    assert g_wrong.score <= 30, wrong.text
    assert g_own.score - g_wrong.score >= 50


@pytest.mark.slow
def test_token_vectors_pool_to_the_sentence_embedding(embedder) -> None:  # type: ignore[no-untyped-def]
    """Pooled token vectors are the model's own sentence embedding (up to [CLS]/[SEP])."""
    import numpy as np

    text = "I split the monolith into services behind a message queue."
    (tok,) = embedder.tokens([text])
    assert [text[a:b] for a, b in tok.offsets[:3]] == ["I", "split", "the"]
    pooled = tok.vectors.mean(axis=0)
    st = pytest.importorskip("sentence_transformers")
    from mockint.models.registry import embedder_path

    model = st.SentenceTransformer(str(embedder_path()), device="cpu", local_files_only=True)
    whole = model.encode([text], normalize_embeddings=True)[0]
    assert float(pooled @ whole / np.linalg.norm(pooled)) > 0.97


@pytest.mark.slow
def test_labelled_interview_answers_are_ordered_as_graded(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    """tests/data/interview-grades.jsonl: within each question, higher grade, higher score."""
    rows = [json.loads(x) for x in (DATA / "interview-grades.jsonl").open(encoding="utf-8")]
    texts = [r.get("text") or resume_bank.get(r["text_from"]).model_answer for r in rows]
    grades = grade_many(
        [(t, resume_bank.get(r["question"])) for t, r in zip(texts, rows, strict=True)], embedder
    )
    right = total = 0
    for i, (a, ga) in enumerate(zip(rows, grades, strict=True)):
        for b, gb in zip(rows[i + 1 :], grades[i + 1 :], strict=True):
            if a["question"] == b["question"] and a["grade"] != b["grade"]:
                total += 1
                right += (ga.score - gb.score) * (a["grade"] - b["grade"]) > 0
    assert total == 278 and right / total >= 0.98
    by_kind: dict[str, list[float]] = {}
    for r, g in zip(rows, grades, strict=True):
        by_kind.setdefault(r["kind"], []).append(g.score)
    mean = {k: sum(v) / len(v) for k, v in by_kind.items()}
    assert max(by_kind["echo_idk"]) <= 10 and mean["strong"] >= 90 and mean["concise"] >= 80
    # confident restatements earn nothing an interviewer would credit
    assert mean["restate"] <= 15 and max(by_kind["restate"]) < 35
    # one key point of n scores near its fair share, 100 / n
    gaps = [
        g.score - 100 / len(split_sentences(resume_bank.get(r["question"]).model_answer))
        for r, g in zip(rows, grades, strict=True)
        if r["kind"] == "one_point"
    ]
    assert abs(sum(gaps) / len(gaps)) <= 10


@pytest.mark.slow
def test_a_confident_restatement_scores_low_and_says_why(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    q = resume_bank.get("Q163")
    g = grade("Celery uses Redis as the broker and the result backend.", q, embedder)
    assert g.score <= 15
    assert any(n.startswith("restates the question") for n in g.notes)
    # the same words with the substance added earn it
    said = (
        "Celery uses Redis as the broker and the result backend: I set both URLs to "
        "redis://localhost:6379/0 in the app configuration, run Redis in Docker and start "
        "workers with celery -A project worker."
    )
    assert grade(said, q, embedder).score >= 50


@pytest.mark.slow
def test_the_evidence_shown_carries_the_key_points_own_content(embedder, resume_bank: Bank) -> None:  # type: ignore[no-untyped-def]
    q = resume_bank.get("Q131")
    said = (
        "The main component of a Django project are models, views, templates and URLs. "
        "Templates decide how the HTML pages look when Django renders them on the server."
    )
    g = grade(said, q, embedder)
    [k] = [k for k in g.key_points if k.text.startswith("Templates define")]
    assert k.status != "missed" and k.match.startswith("Templates decide")


def test_a_token_cache_keeps_the_model_answer_between_calls(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from mockint.grading.grade import TokenCache

    asked: list[str] = []

    class Counting:
        name = "counting"

        def tokens(self, texts):  # type: ignore[no-untyped-def]
            asked.extend(texts)
            return fake_embedder.tokens(texts)

    e = Counting()
    cache = TokenCache(e)
    first = grade("Clean code is what I like.", Q, e, cache=cache)
    asked.clear()
    again = grade("Clean code is what I like.", Q, e, cache=cache)
    assert again.score == first.score
    assert "Clean code is what I like." in asked  # the answer is encoded each time
    kept = [Q.text, "I enjoy solving logical problems.", "Testing matters to me."]
    assert not set(kept) & set(asked)  # the question and model answer are not
    asked.clear()
    grade("Clean code is what I like.", Q, e)  # no cache: this call only
    assert set(kept) <= set(asked)
    with pytest.raises(ValueError, match="another embedder"):
        grade("x", Q, fake_embedder, cache=cache)
