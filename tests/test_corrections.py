"""Every correction visible and reversible: one word list holding each word as heard and
as shown; marks on the result screen, in review and in each report format; undo in
practice and in ``review --edit``, regraded and stored."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mockint.bank import Bank, Question
from mockint.cli.main import cli
from mockint.grading.assess import Assessor, from_attempt, save, undo_corrections
from mockint.reports.render import render_csv, render_html, render_json, render_md, render_text
from mockint.reports.report import build
from mockint.storage.store import Attempt, Store
from mockint.transcript import (
    Segment,
    Transcript,
    Word,
    corrections,
    described,
    marked,
    restored,
    shown_as,
    words_to_dicts,
)

from .conftest import HashingEmbedder, Pressed
from .test_practice import Recorders, ScriptedUI, answer_audio, make

SAID = "We cache in readies and ask about the salary range."
SHOWN = "We cache in Redis and ask about the Celery range."


def corrected() -> Transcript:
    """A transcript in which a correction changed two words."""
    words = tuple(
        Word(t, i * 0.5, i * 0.5 + 0.4, 0.9, {"Redis": "readies", "Celery": "salary"}.get(t))
        for i, t in enumerate(SHOWN.split())
    )
    return Transcript(SHOWN, (Segment(SHOWN, 0.0, 5.0),), words, 5.0)


def heard(text: str) -> Transcript:
    words = tuple(Word(t, i * 0.5, i * 0.5 + 0.4, 0.9) for i, t in enumerate(text.split()))
    return Transcript(text, (Segment(text, 0.0, 5.0),), words, 5.0)


def fixed_by(t: Transcript, text: str) -> Transcript:
    """What a text-only corrector hands back: the text and segments changed, not the words."""
    return replace(t, text=text, segments=(Segment(text, 0.0, 5.0),))


# --- one word list ------------------------------------------------------------------------


def test_a_corrector_output_becomes_one_word_list_holding_what_was_heard() -> None:
    h = heard(SAID)
    t = shown_as(h, fixed_by(h, SHOWN))
    assert t == corrected()
    assert t.text == " ".join(w.text for w in t.words) and t.segments[0].text == SHOWN
    assert t.changes == [(3, "readies", "Redis"), (8, "salary", "Celery")]
    assert t.heard_text == SAID
    d = t.to_dict()  # `mockint transcribe --json`
    assert d["text"] == SHOWN and d["heard_text"] == SAID and d["words"][8]["heard"] == "salary"
    assert Transcript.from_dict(d) == replace(t, segments=(Segment(SHOWN, 0.0, 5.0),))


def test_words_joined_split_dropped_or_put_in_keep_their_times_and_what_was_heard() -> None:
    h = heard("we use fast API and postgres for jobs")
    t = shown_as(h, fixed_by(h, "we use FastAPI and Postgre SQL for jobs"))
    assert [(w.text, w.heard) for w in t.words] == [
        ("we", None),
        ("use", None),
        ("FastAPI", "fast API"),
        ("and", None),
        ("Postgre SQL", "postgres"),
        ("for", None),
        ("jobs", None),
    ]
    fast = t.words[2]
    assert (fast.start, fast.end) == (h.words[2].start, h.words[3].end)
    assert t.text == "we use FastAPI and Postgre SQL for jobs" and t.heard_text == h.text
    dropped = shown_as(h, fixed_by(h, "we use fast API postgres for jobs"))
    assert [(w.text, w.heard) for w in dropped.words][3] == ("API", "API and")
    put_in = shown_as(h, fixed_by(h, "so we use fast API and postgres for jobs"))
    assert [(w.text, w.heard) for w in put_in.words][0] == ("so we", "we")
    assert put_in.heard_text == h.text


def test_a_corrector_that_keeps_its_own_words_or_changes_nothing_is_taken_as_it_is() -> None:
    h = heard(SAID)
    assert shown_as(h, corrected()) == corrected()
    assert shown_as(h, h) == h
    bare = Transcript(SAID)  # no word times: nothing to hold what was heard
    assert shown_as(bare, Transcript(SHOWN)) == Transcript(SHOWN)


def test_the_engine_hands_on_one_word_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockint.hearing import vad
    from mockint.hearing.respell import Corrector
    from mockint.hearing.transcribe import Engine
    from mockint.hearing.vocabulary import Hints

    class Decoded(Engine):
        def load(self) -> None:
            return None

        def _decode(self, model, audio, duration, hints):  # type: ignore[no-untyped-def]
            return heard("we use fast API daily"), None

    monkeypatch.setattr(vad, "voiced_frames", lambda audio: np.ones(100, bool))
    monkeypatch.setattr(vad, "speech_seconds", lambda voiced, *a: 2.0)
    hints = Hints(("FastAPI",), ("FastAPI",))
    t = Corrector(Decoded()).transcribe(np.full(16000, 0.1, np.float32), hints)
    assert t.text == "we use FastAPI daily" and t.changes == [(2, "fast API", "FastAPI")]
    assert t.heard_text == "we use fast API daily"


def test_corrections_are_put_back_as_heard_one_or_all() -> None:
    t = corrected()
    one = restored(t, [8])
    assert one.text == "We cache in Redis and ask about the salary range."
    assert one.changes == [(3, "readies", "Redis")] and one.words[8].heard is None
    assert one.segments[0].text == one.text
    everything = restored(t)
    assert everything.text == SAID and everything.changes == [] and everything.heard_text == SAID
    assert restored(everything) == everything
    retyped = replace(t, text="I cache in Redis.")  # the user's own text is left alone
    assert restored(retyped) == retyped and corrections(retyped.text, retyped.words) == []


def test_a_corrected_word_is_marked_with_what_was_heard() -> None:
    t = corrected()
    assert marked(t.text, t.words) == (
        "We cache in Redis (heard: readies) and ask about the Celery (heard: salary) range."
    )
    assert described(t.changes) == (
        "2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)"
    )
    assert described(t.changes[:1]) == "1 word corrected: 1. Redis (heard: readies)"
    assert described([]) == "" and marked(SAID, heard(SAID).words) == SAID
    assert marked("I cache in Redis.", t.words) == "I cache in Redis."  # retyped: no marks


# --- grading, JSON, the store ---------------------------------------------------------------

QUESTION = Question(
    "Q1", "Career", "What do you ask about?", "We cache in readies and ask about the salary range."
)


def assessed(t: Transcript | None = None) -> object:
    return Assessor(HashingEmbedder()).build(
        "test", QUESTION, t or corrected(), _grade(t or corrected()), None
    )


def _grade(t: Transcript):  # type: ignore[no-untyped-def]
    from mockint.grading.grade import grade_many

    return grade_many([(t.text, QUESTION)], HashingEmbedder())[0]


def test_grade_json_carries_words_as_heard_and_shown() -> None:
    d = assessed().to_dict()  # type: ignore[attr-defined]
    assert d["transcript"] == SHOWN and d["heard_text"] == SAID and d["corrected_words"] == 2
    assert [(w["text"], w.get("heard")) for w in d["words"]][3] == ("Redis", "readies")
    assert "heard" not in d["words"][0]


def test_the_store_keeps_each_word_as_heard_and_shown(tmp_path: Path) -> None:
    a = assessed()
    with Store(tmp_path / "m.db") as s:
        got = s.attempt(save(s, a))  # type: ignore[arg-type]
    assert got is not None and got.transcript == SHOWN
    assert got.words == words_to_dicts(corrected().words) and got.words[3]["heard"] == "readies"
    again = from_attempt(got, QUESTION)
    assert again.transcript.words == corrected().words and again.corrections == corrected().changes


def test_undo_regrades_and_stores_the_words_as_heard(tmp_path: Path) -> None:
    a = assessed()
    with Store(tmp_path / "m.db") as s:
        attempt_id = save(s, a)  # type: ignore[arg-type]
        fixed = undo_corrections(s, attempt_id, a, Assessor(HashingEmbedder()), [2])  # type: ignore[arg-type]
        got = s.attempt(attempt_id)
        assert (
            undo_corrections(s, attempt_id, fixed, Assessor(HashingEmbedder()), [1]).corrections
            == []
        )
        last = s.attempt(attempt_id)
    assert fixed.transcript.text == "We cache in Redis and ask about the salary range."
    # the words as heard are the model answer's: closer to it
    assert fixed.grade.coverage > a.grade.coverage  # type: ignore[attr-defined]
    assert got is not None and got.transcript == fixed.transcript.text
    assert got.score == fixed.grade.score and got.heard is None
    assert [w.get("heard") for w in got.words][3::5] == ["readies", None]
    assert last is not None and last.transcript == SAID
    assert all("heard" not in w for w in last.words)


# --- the practice result screen --------------------------------------------------------------


class CorrectingTranscriber:
    """Hears each phrase as a correction left it."""

    name = "fake-whisper"
    sha256 = "0" * 64

    def transcribe(
        self, audio: np.ndarray, hints: object = None, voiced: object = None
    ) -> Transcript:
        return corrected()


class UndoingUI(ScriptedUI):
    def __init__(self, choices: list[str], picks: list[list[int]]):
        super().__init__(choices=choices)
        self.picks = picks
        self.offered: list[list[tuple[int, str, str]]] = []

    def undo(self, changed: list[tuple[int, str, str]]) -> list[int]:
        self.offered.append(list(changed))
        return self.picks.pop(0)


def practise(tmp_path: Path, ui: UndoingUI):  # type: ignore[no-untyped-def]
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0), ("silence", 3.0))), ui, count=1)
    p.bank = Bank("test", (QUESTION,))
    p.transcriber = p.assessor.transcriber = CorrectingTranscriber()
    p.run(p.plan())
    return p


def test_practice_undoes_a_correction_regrades_and_stores(tmp_path: Path) -> None:
    ui = UndoingUI(["undo", "undo", "next"], [[2], []])
    p = practise(tmp_path, ui)
    [a] = p.store.attempts()
    assert ui.offered == [corrected().changes, corrected().changes[:1]]
    assert ui.results == [a.id, a.id]  # shown again once: the second undo picked none
    assert a.transcript == "We cache in Redis and ask about the salary range."
    assert ui.last.corrections == [(3, "readies", "Redis")]  # type: ignore[attr-defined]
    assert a.score == ui.last.grade.score and a.words[8] == {  # type: ignore[attr-defined]
        "text": "salary",
        "start": 4.0,
        "end": 4.4,
        "probability": 0.9,
    }


def test_practice_undo_all_puts_every_word_back(tmp_path: Path) -> None:
    ui = UndoingUI(["undo", "undo", "next"], [[1, 2]])
    p = practise(tmp_path, ui)
    [a] = p.store.attempts()
    assert a.transcript == SAID and len(ui.offered) == 1  # nothing left to undo: not asked


def test_the_result_screen_marks_corrections_and_offers_undo() -> None:
    from rich.console import Console

    from mockint.ui import ConsoleUI

    out = io.StringIO()
    keys = Pressed("u", "2", "enter", "x")
    ui = ConsoleUI(Console(file=out, width=200, highlight=False), keys)  # type: ignore[arg-type]
    ui.result(assessed(), 7)  # type: ignore[arg-type]
    assert ui.choose() == "undo" and ui.undo(corrected().changes) == [2]
    ui.result(assessed(restored(corrected())), 7)  # type: ignore[arg-type]
    assert ui.choose() == "next" and ui.undo(corrected().changes) == []
    lines = out.getvalue().splitlines()
    assert lines[1:3] == [
        "  We cache in Redis (heard: readies) and ask about the Celery (heard: salary) range.",
        "  2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)",
    ]
    helps = [x for x in lines if x.startswith("Enter: next")]
    assert "u: undo corrections · q: quit" in helps[0] and "u: undo" not in helps[1]
    assert "Undo which? 1-2: that one · a: all" in lines


# --- review and review --edit ----------------------------------------------------------------


def stored(home: Path, resume_bank: Bank, t: Transcript, score: float = 10.0) -> None:
    q = resume_bank.get("Q1")
    with Store(home / "mockint.db") as s:
        s.add_attempt(
            Attempt("resume", "Q1", q.category, t.text, score, 0.1, words=words_to_dicts(t.words))
        )


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_review_marks_corrections_and_says_how_to_undo(home: Path, resume_bank: Bank) -> None:
    stored(home, resume_bank, corrected(), 80.0)
    r = run("review", "a1")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    at = lines.index("Your answer:")
    assert lines[at + 1 : at + 4] == [
        "  We cache in Redis (heard: readies) and ask about the Celery (heard: salary) range.",
        "  2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)",
        "  undo: mockint review a1 --edit --undo all (or --undo N for one)",
    ]
    stored(home, resume_bank, restored(corrected()))
    r = run("review", "Q1", "--compare")
    assert r.exit_code == 0
    assert r.stdout.endswith(
        "Answer, best a1 (80):\n"
        "  We cache in Redis (heard: readies) and ask about the Celery (heard: salary) range.\n"
        "  2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)\n"
        "\n"
        "Answer, latest a2 (10):\n"
        f"  {SAID}\n"
    )


def test_review_edit_undo_regrades_stores_and_the_json_shows_it(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.grading import embed

    monkeypatch.setattr(embed, "MiniLMEmbedder", lambda **_k: HashingEmbedder())
    stored(home, resume_bank, corrected())
    r = run("review", "a1", "--edit", "--undo", "1")
    assert r.exit_code == 0, r.output
    with Store(home / "mockint.db") as s:
        a = s.attempt(1)
    assert a is not None and a.transcript == "We cache in readies and ask about the Celery range."
    assert f"Put 1 word back as heard; regraded a1: 10 -> {a.score:.0f}.\n" in r.output
    assert "  1 word corrected: 1. Celery (heard: salary)" in r.stdout
    assert a.heard is None and "heard" not in a.words[3]
    item = json.loads(run("report", "--format", "json").stdout)["items"][0]
    assert item["transcript"] == a.transcript and item["heard_text"] == SAID
    assert item["corrections"] == [{"word": 8, "at": 38, "heard": "salary", "shown": "Celery"}]
    r = run("review", "a1", "--edit", "--undo", "all")
    assert r.exit_code == 0 and "Put 1 word back as heard" in r.output
    item = json.loads(run("report", "--format", "json").stdout)["items"][0]
    assert item["transcript"] == SAID and item["corrections"] == [] and item["heard_text"] is None


def test_review_undo_refuses_what_is_not_there(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.grading import embed

    monkeypatch.setattr(embed, "MiniLMEmbedder", lambda **_k: HashingEmbedder())
    stored(home, resume_bank, corrected())
    r = run("review", "a1", "--undo", "3")
    assert r.exit_code == 2
    assert r.output.endswith(
        "Error: Invalid value for '--undo': '3' is no correction of a1: give 1 to 2 or 'all' "
        "(see 'mockint review --help')\n"
    )
    stored(home, resume_bank, heard(SAID))
    r = run("review", "a2", "--edit", "--undo", "all")
    assert r.exit_code == 1 and r.output == "Error: a2 has no corrected words to undo\n"
    with Store(home / "mockint.db") as s:
        assert [x.transcript for x in s.attempts()] == [SHOWN, SAID]  # nothing changed


# --- reports -------------------------------------------------------------------------------


def answer_to_q1(t: Transcript, i: int, **kw: object) -> Attempt:
    """The i-th answer to Q1, as heard (and corrected) in ``t``."""
    return Attempt(
        "test",
        "Q1",
        "Career",
        t.text,
        50.0,
        0.5,
        words=words_to_dicts(t.words),
        graded_at=f"2026-12-0{i}T10:00:00+00:00",
        **kw,  # type: ignore[arg-type]
    )


def report_of(*ts: Transcript):  # type: ignore[no-untyped-def]
    point = {"text": "Redis.", "status": "covered", "match": "Redis and ask"}
    attempts = [answer_to_q1(t, i, key_points=[point], id=i) for i, t in enumerate(ts, 1)]
    return build(attempts, Bank("test", (QUESTION,)))


def test_each_report_format_marks_corrected_words() -> None:
    retyped = replace(corrected(), text="I cache in Redis.")
    r = report_of(heard(SAID), corrected(), retyped)
    text = render_text(r)
    assert (
        "Corrected words\n"
        "  2 words corrected in 1 of 3 answers (undo: mockint review aN --edit --undo N|all)\n"
        "  a2        Q1  2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)\n"
    ) in text
    md = render_md(r)
    assert (
        "## Corrected words\n\n"
        "2 words corrected in 1 of 3 answers (undo: `mockint review aN --edit --undo N|all`).\n\n"
        "- a2 · Q1: 2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)\n"
    ) in md
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert [(x["corrected_words"], x["heard_transcript"]) for x in rows] == [
        ("0", ""),
        ("2", SAID),
        ("0", ""),
    ]
    items = json.loads(render_json(r))["items"]
    assert [x["heard_text"] for x in items] == [None, SAID, None]  # None: as shown
    assert items[1]["corrections"] == [
        {"word": 3, "at": 12, "heard": "readies", "shown": "Redis"},
        {"word": 8, "at": 36, "heard": "salary", "shown": "Celery"},
    ]
    assert items[0]["corrections"] == [] and items[2]["corrections"] == []
    page = render_html(r)
    assert page.count('class="corrected"') == 2 and page.count('data-corrected="2"') == 1
    assert (
        '<p>We cache in <mark><span class="corrected" title="heard: readies" '
        'data-heard="readies">Redis</span></mark><span class="heard"> (heard: readies)</span>'
        "<mark> and ask</mark> about the "
        '<span class="corrected" title="heard: salary" data-heard="salary">Celery</span>'
        '<span class="heard"> (heard: salary)</span> range.</p>'
    ) in page
    assert "<p>I cache in <mark>Redis</mark>.</p>" not in page  # the retyped text has no match
    assert "<p>I cache in Redis.</p>" in page


def test_the_reports_of_the_store_mark_corrected_words(home: Path) -> None:
    """What `mockint report` reads from the store (counted there, not from every answer)
    says so too, in every format."""
    with Store(home / "mockint.db") as s:
        for i, t in enumerate((heard(SAID), corrected()), 1):
            s.add_attempt(answer_to_q1(t, i))
    line = "2 words corrected: 1. Redis (heard: readies) · 2. Celery (heard: salary)"
    text = run("report", "--bank", "test").output
    assert "2 words corrected in 1 of 2 answers" in text and f"a2        Q1  {line}" in text
    assert f"- a2 · Q1: {line}" in run("report", "--bank", "test", "--format", "md").output
    items = json.loads(run("report", "--bank", "test", "--format", "json").output)["items"]
    assert [x["heard_text"] for x in items] == [None, SAID]
    rows = list(
        csv.DictReader(io.StringIO(run("report", "--bank", "test", "--format", "csv").output))
    )
    assert [x["corrected_words"] for x in rows] == ["0", "2"]


def test_html_escapes_what_was_heard() -> None:
    t = shown_as(
        heard("we use <b>x</b> now"), fixed_by(heard("we use <b>x</b> now"), "we use Redis now")
    )
    page = render_html(report_of(t))
    assert 'title="heard: &lt;b&gt;x&lt;/b&gt;"' in page and "<b>x</b>" not in page


def test_a_report_with_no_corrections_has_no_section() -> None:
    r = report_of(heard(SAID))
    assert "Corrected words" not in render_text(r) and "Corrected words" not in render_md(r)
    assert 'class="corrected"' not in render_html(r)
