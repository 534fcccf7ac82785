"""Delivery figures from word timestamps."""

from __future__ import annotations

import pytest

from mockint.grading.delivery import measure
from mockint.transcript import Word


def words(
    text: str, start: float = 0.0, step: float = 0.4, gaps: dict[int, float] | None = None
) -> list[Word]:
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(Word(w, t, t + step * 0.8))
        t += step
    return out


def test_pace_fillers_pauses_and_length() -> None:
    first = "So, um, I built the API, like, with FastAPI."
    text = f"{first} You know it was basically fast and uh reliable."
    d = measure(words(text, gaps={8: 3.0}))
    assert d is not None
    assert d.words == 18
    assert d.seconds == pytest.approx(18 * 0.4 - 0.08 + 3.0, abs=0.01)
    assert d.wpm == pytest.approx(18 / (d.seconds / 60), abs=0.1)
    assert d.filler_words == {"so": 1, "um": 1, "like": 1, "you know": 1, "basically": 1, "uh": 1}
    assert d.fillers == 6
    assert [(round(a, 2), round(b, 2)) for a, b in d.long_pauses] == [(3.12, 3.08)]
    assert any("shorter than the 60-120 s target" in f for f in d.flags)
    assert any("1 pause over 2.5 s (at 3 s)" in f for f in d.flags)


def test_like_as_a_verb_and_so_mid_sentence_are_not_fillers() -> None:
    d = measure(words("I like Python so much and I would like to learn Go"))
    assert d is not None and d.fillers == 0


def test_flags_fast_and_slow_pace_and_long_answers() -> None:
    fast = measure(words(" ".join(["word"] * 420), step=0.3))  # 200 wpm for 126 s
    assert fast is not None and any("faster than 170" in f for f in fast.flags)
    assert any("longer than the 60-120 s target" in f for f in fast.flags)
    slow = measure(words(" ".join(["word"] * 60), step=0.75))  # 80 wpm
    assert slow is not None and any("slower than 110" in f for f in slow.flags)
    assert measure([]) is None


def test_delivery_in_plain_words_with_singulars_and_plurals() -> None:
    from mockint.grading.delivery import describe

    one = {
        "wpm": 140.9,
        "fillers_per_minute": 0.0,
        "long_pauses": [{"at": 22, "seconds": 3}],
        "seconds": 41.2,
    }
    assert describe(one) == [
        "Pace 141 words/min (target 110-170)",
        "Fillers 0.0 per minute",
        "Long pauses 1 (over 2.5 s)",
        "Length 41 s (target 60-120)",
    ]
    means = {"wpm": 120, "fillers_per_minute": 1.25, "long_pause_count": 0.5, "seconds": 70}
    assert describe(means)[1:3] == ["Fillers 1.2 per minute", "Long pauses 0.5 (over 2.5 s)"]


def test_the_length_target_follows_the_question() -> None:
    from mockint.grading.delivery import DeliveryOptions, describe, length_band, measure
    from mockint.transcript import Word

    # a one-line fact is quick; a model answer of 100 words asks for under a minute and a
    # bit; a story for one to two minutes
    fact, explain, story = length_band(False, 12), length_band(False, 100), length_band(True, 100)
    assert fact == (10.0, 30.0) and story == (60.0, 120.0)
    assert fact[1] < explain[1] < story[1] and explain[0] < 60
    words = [Word(f"w{i}", i * 0.4, i * 0.4 + 0.3) for i in range(40)]  # 16 s
    short = measure(words, DeliveryOptions(min_seconds=fact[0], max_seconds=fact[1]))
    long = measure(words, DeliveryOptions(min_seconds=story[0], max_seconds=story[1]))
    assert short is not None and long is not None
    assert not any("shorter" in f for f in short.flags)
    assert any("shorter than the 60-120 s target" in f for f in long.flags)
    assert describe(short.to_dict())[-1] == "Length 16 s (target 10-30)"
