"""STAR feedback: the parts of a behavioural answer, their spans, the note."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mockint.grading.star import (
    PARTS,
    analyse,
    clauses,
    embedding_inputs,
    read,
    situation_model,
)

DATA = Path(__file__).parent / "data" / "star-answers.jsonl"


def test_a_full_story_has_every_part_with_its_span() -> None:
    s = analyse(
        "So last year on the DHL project the tracking API was slow for big customers. "
        "My task was to get it under half a second. I profiled it and I added an index. "
        "Afterwards the endpoint took two hundred milliseconds instead of three seconds."
    )
    assert s.situation.startswith("So last year on the DHL project")
    assert s.task.startswith("My task was")
    assert s.action.startswith("I profiled it")
    assert s.result.startswith("Afterwards") and s.measured == s.result
    assert s.missing == [] and s.note.endswith("complete")


def test_generic_habits_are_actions_without_a_story() -> None:
    s = analyse("I usually ask questions first, I check the tickets and I talk to my manager.")
    assert s.action and not s.situation and not s.result
    assert s.note == (
        "STAR: set the scene (where and when); say what you had to achieve; end with the outcome"
    )


def test_we_without_i_is_not_the_candidates_action() -> None:
    s = analyse(
        "Last year on ProcureMate the search was slow. We rewrote the query and we "
        "added caching. In the end it ran in one second instead of twelve."
    )
    assert not s.action and s.only_we
    assert "say what you did yourself, not what 'we' did" in s.note
    assert s.measured  # "one second instead of twelve"


def test_an_unmeasured_result_is_noted() -> None:
    s = analyse(
        "At my last job the client changed the export format late. I built the new "
        "export over a weekend. The client accepted it in the demo."
    )
    assert s.result and not s.measured
    assert s.missing == ["task", "measured"]
    assert "measure the result (a number, a before and after)" in s.note


def test_opinions_are_nothing() -> None:
    s = analyse("I think conflicts are healthy and everybody should respect each other.")
    assert not any(s.present(p) for p in ("situation", "task", "action", "measured"))


@pytest.mark.parametrize("part", PARTS)
def test_each_part_is_right_on_the_labelled_set(part: str) -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    right = sum(analyse(r["text"]).present(part) == r[part] for r in rows)
    assert right / len(rows) >= 0.85, (part, right, len(rows))


OTHERS = Path(__file__).parent / "data" / "star-others.jsonl"
# made-up names, none of them a word the rules could know
_NAMES = ["Vorlane", "Quessa", "Tarrowby", "Mindrel", "Ostwick", "Pellamy", "Zandor", "Ruvella"]


def swap_names(text: str) -> str:
    """Every capitalised word inside a sentence (a name: a person, employer, product,
    place or tool) replaced by a made-up one, the same name for the same word."""
    seen: dict[str, str] = {}

    def new(m: re.Match[str]) -> str:
        word = m.group(2)
        if word == "I" or word.startswith("I'"):
            return m.group(0)
        if word not in seen:
            seen[word] = _NAMES[len(seen) % len(_NAMES)] + "abcdefgh"[len(seen) // 8 % 8]
        return m.group(1) + seen[word]

    return re.sub(r"((?<![.!?]) )([A-Z][\w'-]*)", new, text)


def test_names_are_swapped_in_the_test_data() -> None:
    assert swap_names("So at Northgate Savings I met Ana. Then I left.") == (
        "So at Vorlanea Quessaa I met Tarrowbya. Then I left."
    )


@pytest.mark.parametrize("path", [DATA, OTHERS])
def test_the_analysis_does_not_depend_on_names(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    changed = 0
    for r in rows:
        swapped = swap_names(r["text"])
        changed += swapped != r["text"]
        a, b = analyse(r["text"]), analyse(swapped)
        assert [a.present(p) for p in PARTS] == [b.present(p) for p in PARTS], r["text"]
        assert (a.only_we, bool(a.done)) == (b.only_we, bool(b.done))
    assert changed >= len(rows) // 2  # most answers name someone or something


def test_a_scene_is_read_from_grammar_not_from_a_name() -> None:
    for opening in (
        "At a small games studio the matchmaking queue was slow.",
        "Two weeks before go-live the client changed the overtime rules.",
        "When I joined the team, releases took two days.",
        "I was building the intake backend while a designer drew the forms.",
    ):
        s = analyse(opening + " I rewrote it. It went from ninety seconds to four.")
        assert s.situation == opening, opening
    habit = analyse("I read the newsletter every Monday and I try new tools on a side project.")
    assert not habit.situation and habit.action and not habit.done


# the learned scene reader: the grammar proposes, an embedding classifier confirms
_PRESENT_SCENE = "I work the night desk at a small clinic, where a patient collapsed in the lobby."
_STORY = " I called the ambulance and I kept him talking. He was in hospital within ten minutes."


def _towards(sign: float) -> np.ndarray:
    """A unit 'embedding' the shipped classifier reads as a scene (+1) or not (-1)."""
    w = np.asarray(situation_model()["weights"])
    return sign * w / np.linalg.norm(w)


def test_a_scene_told_in_the_present_needs_the_classifier_to_confirm_it() -> None:
    text = _PRESENT_SCENE + _STORY
    n = len(clauses(text))
    assert not analyse(text).situation  # "I work ..." first: the grammar alone rejects it
    yes = np.stack([_towards(1.0)] * n)
    no = np.stack([_towards(-1.0)] * n)
    assert analyse(text, yes).situation == _PRESENT_SCENE
    assert not analyse(text, no).situation
    assert not analyse(text, yes[:1]).situation  # not one row per clause: ignored
    assert not analyse(text, np.ones((n, 7))).situation  # another model's vectors: ignored


def test_the_classifier_confirms_only_what_the_grammar_proposes() -> None:
    habit = "I read the release notes at my desk every Monday, and I try new tools."
    n = len(clauses(habit))
    assert not analyse(habit, np.stack([_towards(1.0)] * n)).situation  # a habit
    opinion = "I think conflicts are healthy and the lead decides."
    assert not analyse(opinion, np.stack([_towards(1.0)] * len(clauses(opinion)))).situation


class _Toward:
    """An encoder whose every token vector points the classifier's way."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[str] = []

    def tokens(self, texts: Sequence[str]) -> list[SimpleNamespace]:
        self.seen += texts
        return [SimpleNamespace(vectors=np.stack([_towards(1.0)] * 3)) for _ in texts]


def test_read_uses_only_the_embedder_the_classifier_was_trained_on() -> None:
    text = _PRESENT_SCENE + _STORY
    same = _Toward(situation_model()["embedder"])
    assert read([text], same)[0].situation == _PRESENT_SCENE
    other = _Toward("another-model")
    assert not read([text], other)[0].situation and not other.seen
    assert not read([text], None)[0].situation
    # an answer with no clause (silence, "um") beside one with clauses: read, not raised
    empty = read(["", "Um.", text], same)
    assert not empty[0].situation and not empty[1].situation and empty[2].situation


def test_the_classifier_never_sees_a_name() -> None:
    text = "So at Northgate Savings I met Ana in June. Then Ruth and I left for Kestrel."
    assert embedding_inputs(text) == embedding_inputs(swap_names(text))
    assert embedding_inputs(text)[0] == "So at Name Name I met Name in Name."


def test_a_present_frame_joined_to_a_past_scene_is_a_scene() -> None:
    for opening in (
        "I'm a paramedic in Leeds, and last winter our station lost two crews to flu.",
        "So I run the front desk at a dental practice, and in March the booking system went down.",
    ):
        assert analyse(opening + _STORY).situation == opening
    habit = "I plan my week on Monday, and I keep the chat closed when I'm coding."
    assert not analyse(habit + _STORY).situation


@pytest.mark.slow
def test_the_shipped_classifier_keeps_scenes_and_habits_apart(embedder: object) -> None:
    story = "Last spring at a small studio our build was slow." + _STORY
    habits = "I work at a bank. I check my tray every morning and I tell my supervisor."
    got = read([story, habits], embedder)  # type: ignore[arg-type]
    assert got[0].situation and not got[1].situation
