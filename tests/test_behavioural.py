"""Behavioural grades: a story beats platitudes beats an answer to another question; the
grade holds when names change; the same answer gets the same grade every time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockint.bank import Bank
from mockint.grading.behavioural import StoryOptions, completeness, credit, is_story, score
from mockint.grading.grade import GradeOptions, grade_many
from mockint.grading.star import analyse
from tests.conftest import espeak

DATA = Path(__file__).parent / "data" / "behavioural-answers.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
STORY = next(r["text"] for r in ROWS if r["kind"] == "story")


def test_a_complete_story_is_worth_more_than_its_parts() -> None:
    o = StoryOptions()
    full = analyse(STORY)
    assert is_story(full) and completeness(full, o) >= 0.9
    habits = analyse("I usually post an update every morning and I ping people when I'm stuck.")
    assert not is_story(habits) and completeness(habits, o) < 0.5
    # habits and platitudes keep a share of what their key points earn
    assert score(60.0, habits, 0.5, o)[0] == pytest.approx(60.0 * o.no_story)
    assert "no story" in score(60.0, habits, 0.5, o)[1][0]
    # ... eased by the share of the key's points they cover: saying all the key says
    # (the model answer itself may describe habits) is what the question asks
    half = score(60.0, habits, 0.5, o, covered=0.5)[0]
    assert 60.0 * o.no_story < half < 60.0
    assert score(60.0, habits, 0.5, o, covered=1.0) == (60.0, [])
    # a relevant story earns its own score, well above its key points
    told = score(20.0, full, 0.5, o)[0]
    assert told >= 80
    # a story about something else keeps only the floor
    off = score(20.0, full, 0.0, o)
    assert off[0] < 0.5 * told and "about something else" in off[1][0]
    # a story missing its result and measure is worth well under a whole one
    part = analyse("At my last job the build was slow. I cached the dependencies.")
    assert is_story(part) and score(0.0, part, 0.5, o)[0] < 0.5 * told
    assert credit(o.irrelevant, o) == 0 and credit(o.relevant, o) == 1


@pytest.mark.slow
def test_story_beats_vague_beats_offtopic_on_every_question(
    resume_bank: Bank, embedder: object
) -> None:
    grades = grade_many([(r["text"], resume_bank.get(f"Q{r['q']}")) for r in ROWS], embedder)  # type: ignore[arg-type]
    by_q: dict[int, dict[str, float]] = {}
    for r, g in zip(ROWS, grades, strict=True):
        by_q.setdefault(r["q"], {})[r["kind"]] = g.score
    for q, s in by_q.items():
        assert s["story"] > s["vague"] > s["offtopic"], (q, s)
    mean = {k: sum(s[k] for s in by_q.values()) / len(by_q) for k in ("story", "vague", "offtopic")}
    assert mean["story"] >= 60 and mean["vague"] <= 35 and mean["offtopic"] <= 10, mean


@pytest.mark.slow
def test_technical_questions_are_graded_as_before(resume_bank: Bank, embedder: object) -> None:
    q = next(q for q in resume_bank.questions if not q.behavioural)
    items = [(q.model_answer, q), (STORY, q)]
    on = grade_many(items, embedder)  # type: ignore[arg-type]
    off = grade_many(items, embedder, GradeOptions(stories=False))  # type: ignore[arg-type]
    assert [g.score for g in on] == [g.score for g in off]


# the employers, places and people of the answers by others, and made-up names for them
OTHERS = Path(__file__).parent / "data" / "star-others.jsonl"
NAMES = {
    "Northgate Savings": "Ashcombe Mutual",
    "Kestrel Games": "Tindle Studios",
    "Telvio": "Moravo",
    "Skylane": "Aerolux",
    "Quillon": "Pennick",
    "Brightcart": "Basketly",
    "Leeds": "Exeter",
    "MedRota": "CareShift",
    "Ostrava Logistics": "Danube Freight",
    "Thirdi-AI": "Adsight",
    "DHL": "Parcelnet",
    "ProcureMate": "Tenderly",
    "Bridgefix": "Northwind",
}


@pytest.mark.slow
def test_the_grade_does_not_depend_on_names(resume_bank: Bank, embedder: object) -> None:
    """Every employer, place and person swapped for a made-up one: the same STAR parts,
    the same reading, and the score moves only by the embedding of a new word."""
    # (the project's own answers name the bank's projects, which its model answers name
    # too: there a name is a key point's word, and swapping it rightly changes coverage)
    rows = [json.loads(line) for line in OTHERS.read_text().splitlines() if line.strip()]
    items = [(r["text"], resume_bank.get(r["question"])) for r in rows if r["question"] != "X"]
    swapped = []
    for t, q in items:
        for a, b in NAMES.items():
            t = t.replace(a, b)
        swapped.append((t, q))
    assert sum(a != b for (a, _), (b, _) in zip(items, swapped, strict=True)) >= 6
    before = grade_many(items, embedder)  # type: ignore[arg-type]
    after = grade_many(swapped, embedder)  # type: ignore[arg-type]
    for (t, _), (u, _), g, h in zip(items, swapped, before, after, strict=True):
        assert analyse(t).missing == analyse(u).missing
        assert g.notes == h.notes
        assert abs(g.score - h.score) <= 10, (t, g.score, h.score)


@pytest.mark.slow
def test_the_same_answer_gets_the_same_grade_five_times(
    resume_bank: Bank, embedder: object
) -> None:
    from mockint.grading.assess import Assessor

    assessor = Assessor(embedder)  # type: ignore[arg-type]
    q = resume_bank.get(f"Q{ROWS[0]['q']}")
    runs = [assessor.assess_text("resume", q, STORY) for _ in range(5)]
    # and amid other answers, in one batch, where padding differs
    batch = grade_many([(r["text"], q) for r in ROWS[:6]], embedder)  # type: ignore[arg-type]
    for a in runs[1:]:
        assert a.grade.score == runs[0].grade.score
        assert [k.to_dict() for k in a.grade.key_points] == [
            k.to_dict() for k in runs[0].grade.key_points
        ]
        assert a.notes == runs[0].notes and a.star == runs[0].star
    assert abs(batch[0].score - runs[0].grade.score) <= 0.2
    assert [k.status for k in batch[0].key_points] == [k.status for k in runs[0].grade.key_points]


@pytest.mark.slow
def test_a_spoken_answer_gets_the_same_grade_five_times(
    resume_bank: Bank, embedder: object, transcriber: object, tmp_path: Path
) -> None:
    from mockint.grading.assess import Assessor
    from mockint.sound.audio import load_audio

    q = resume_bank.get("Q194")
    text = (
        "Last year two weeks before release the client changed the status groups. "
        "I added a second endpoint and kept the old one. We released on time."
    )
    audio = load_audio(espeak(text, tmp_path / "story.wav"))
    assessor = Assessor(embedder, transcriber)  # type: ignore[arg-type]
    runs = [assessor.assess_audio("resume", q, audio) for _ in range(5)]
    for a in runs[1:]:
        assert a.transcript.text == runs[0].transcript.text
        assert a.grade.score == runs[0].grade.score
        assert [k.status for k in a.grade.key_points] == [
            k.status for k in runs[0].grade.key_points
        ]


def test_a_story_is_read_once_and_shown_as_it_was_graded(
    resume_bank: Bank, embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.grading import assess, grade
    from mockint.grading.assess import Assessor

    read: list[str] = []

    def counted(real):  # type: ignore[no-untyped-def]
        def wrapper(texts, encoder):  # type: ignore[no-untyped-def]
            read.extend(texts)
            return real(texts, encoder)

        return wrapper

    monkeypatch.setattr(grade, "read_star", counted(grade.read_star))
    monkeypatch.setattr(assess, "read_star", counted(assess.read_star))
    q = resume_bank.get(f"Q{ROWS[0]['q']}")
    a = Assessor(embedder).assess_text("resume", q, STORY)  # type: ignore[arg-type]
    assert read == [STORY.strip()] and a.star is not None and a.star == a.grade.star

    # graded on its first words only, the whole answer's story is still read for the screen
    read.clear()
    short = Assessor(embedder, options=GradeOptions(max_words=12))  # type: ignore[arg-type]
    cut = short.assess_text("resume", q, STORY)
    assert cut.grade.star is None and cut.star is not None and read[-1] == STORY.strip()
