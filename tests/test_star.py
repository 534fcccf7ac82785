"""STAR feedback: the parts of a behavioural answer, their spans, the note."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mockint.grading.star import PARTS, analyse

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
