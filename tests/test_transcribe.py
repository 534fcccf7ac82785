"""Whisper through the converted checkpoint on real human speech."""

from __future__ import annotations

import numpy as np
import pytest

from mockint.audio import load_audio
from mockint.wer import edit_distance, normalise, wer

from .conftest import fleurs


def test_wer_normalises_both_sides() -> None:
    assert normalise("Twenty-five, Mr. Smith!") == normalise("25 mister smith")
    assert edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert wer(["the cat sat"], ["The cat sat."]) == 0.0
    assert wer(["the cat sat on"], ["the dog sat"]) == 0.5


@pytest.mark.slow
def test_fleurs_utterance_within_10_percent_wer(transcriber) -> None:  # type: ignore[no-untyped-def]
    path, ref = fleurs()[0]
    t = transcriber.transcribe(load_audio(path))
    assert wer([ref], [t.text]) <= 0.10, t.text
    # words come with increasing times inside the audio
    starts = [w.start for w in t.words]
    assert len(t.words) >= 15 and starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= t.duration + 0.5 for w in t.words)
    assert t.segments and t.segments[0].text


@pytest.mark.slow
def test_silence_transcribes_to_nothing(transcriber) -> None:  # type: ignore[no-untyped-def]
    assert transcriber.transcribe(np.zeros(16000 * 2, dtype=np.float32)).text == ""


@pytest.mark.slow
def test_phrase_transcript_is_as_good_as_the_whole_recording(transcriber) -> None:  # type: ignore[no-untyped-def]
    """Practice transcribes phrase by phrase while the candidate speaks: no worse than whole."""
    from mockint.listen import transcribe_by_phrases
    from mockint.vad import default_vad

    from .conftest import joined_fleurs

    audio, ref = joined_fleurs()
    whole = wer([ref], [transcriber.transcribe(audio).text])
    phrases = transcribe_by_phrases(audio, transcriber, default_vad())
    assert wer([ref], [phrases.text]) <= whole + 0.01, (whole, phrases.text)
    assert phrases.words[-1].end > 0.9 * len(audio) / 16000 - 3
