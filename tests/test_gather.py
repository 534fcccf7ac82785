"""Several phrases decoded at once: the group's generate calls batched, each answer routed
back to its own thread; offline hearing transcribes phrases a group at a time."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from mockint.hearing.gather import Gather
from mockint.hearing.listen import PhraseTranscriber
from mockint.transcript import Transcript


class Model:
    """A stand-in for CTranslate2's Whisper: each result names its row's features and
    prompt, so a test sees which thread's answer went where; notes each call's size."""

    def __init__(self, fail: bool = False):
        self.batches: list[tuple[int, int]] = []  # (rows, beam_size) a call
        self.fail = fail

    def generate(self, features: np.ndarray, prompts: list[list[int]], **kw: Any) -> list[str]:
        self.batches.append((len(prompts), kw["beam_size"]))
        if self.fail:
            raise RuntimeError("out of memory")
        rows = [int(features[i, 0, 0]) for i in range(len(prompts))]
        return [
            f"row {r} prompt {p[0]} beam {kw['beam_size']}"
            for r, p in zip(rows, prompts, strict=True)
        ]


def _decode(gather: Gather, i: int) -> list[str]:
    """What faster-whisper does for one window: a beam search, then (odd windows here) a
    fallback of other options."""
    features = np.full((1, 3, 2), i, np.float32)
    out = list(gather.generate(features, [[100 + i]], beam_size=5))
    if i % 2:
        out += gather.generate(features, [[100 + i]], beam_size=1)
    return out


def test_a_groups_decodes_are_made_as_one_call_and_each_thread_gets_its_own_answer() -> None:
    model = Model()
    gather = Gather(model)
    got = gather.group(lambda i: _decode(gather, i), [0, 1, 2, 3])
    assert got == [
        ["row 0 prompt 100 beam 5"],
        ["row 1 prompt 101 beam 5", "row 1 prompt 101 beam 1"],
        ["row 2 prompt 102 beam 5"],
        ["row 3 prompt 103 beam 5", "row 3 prompt 103 beam 1"],
    ]
    # four beam searches in one call; the two fallbacks (other options) in another
    assert model.batches == [(4, 5), (2, 1)]
    assert gather.calls == 2


def test_a_sampled_retry_is_never_batched_and_draws_on_a_fresh_model() -> None:
    """A temperature retry draws at random: alone, on a new copy of the model (its own
    seeded generator), so its draw does not depend on what else was drawn."""
    model, copies = Model(), []

    def fresh() -> Model:
        copies.append(Model())
        return copies[-1]

    gather = Gather(model, fresh=fresh)

    def hot(i: int) -> list[str]:
        features = np.full((1, 3, 2), i, np.float32)
        out = list(gather.generate(features, [[100 + i]], beam_size=5))
        if i % 2:
            out += gather.generate(features, [[100 + i]], beam_size=1, sampling_topk=0)
        return out

    got = gather.group(hot, [0, 1, 2, 3])
    assert got[3] == ["row 3 prompt 103 beam 5", "row 3 prompt 103 beam 1"]
    assert model.batches == [(4, 5)]
    assert [c.batches for c in copies] == [[(1, 1)], [(1, 1)]]
    assert _decode(Gather(Model(), fresh=fresh), 2) == ["row 2 prompt 102 beam 5"]


def test_a_decode_outside_a_group_is_made_at_once() -> None:
    model = Model()
    gather = Gather(model)
    assert _decode(gather, 3) == ["row 3 prompt 103 beam 5", "row 3 prompt 103 beam 1"]
    assert model.batches == [(1, 5), (1, 1)]


def test_threads_that_finish_without_decoding_do_not_hold_the_others() -> None:
    model = Model()
    gather = Gather(model)
    got = gather.group(lambda i: _decode(gather, i) if i < 2 else "silence", [0, 1, 2, 3, 4])
    assert got[2:] == ["silence"] * 3 and got[0] == ["row 0 prompt 100 beam 5"]
    assert model.batches == [(2, 5), (1, 1)]


def test_a_failed_batch_is_each_threads_error_and_the_groups() -> None:
    model = Model(fail=True)
    gather = Gather(model)
    with pytest.raises(RuntimeError, match="out of memory"):
        gather.group(lambda i: _decode(gather, i), [0, 1, 2])
    # the group is over, nothing of it left: the next group's decodes are not held
    assert gather._members == 0 and gather._waiting == []
    model.fail = False
    assert gather.group(lambda i: _decode(gather, i), [0, 2]) == [
        ["row 0 prompt 100 beam 5"],
        ["row 2 prompt 102 beam 5"],
    ]


class Many:
    """A transcriber that hears several phrases at once: notes how many each call got."""

    name = "many"
    sha256 = None

    def __init__(self) -> None:
        self.calls: list[int] = []

    def transcribe(self, audio: np.ndarray, *more: object) -> Transcript:
        return self.transcribe_many([(audio, None, None)])[0]

    def transcribe_many(self, items: list[tuple[np.ndarray, object, object]]) -> list[Transcript]:
        self.calls.append(len(items))
        return [Transcript(f"phrase{int(a[0])}") for a, _, _ in items]


def test_offline_phrases_are_transcribed_a_group_at_a_time_in_order() -> None:
    many = Many()
    events: list[dict[str, Any]] = []
    p = PhraseTranscriber(many, events=lambda _kind, **kw: events.append(kw), group=3)
    for k in range(5):
        p.submit(np.full(1600, k, np.float32), float(k))
    t = p.finish(5.0, timeout=10)
    assert many.calls == [3, 2]
    assert t.text == "phrase0 phrase1 phrase2 phrase3 phrase4"
    assert [e["together"] for e in events] == [3, 3, 3, 2, 2]


def test_recordings_are_heard_two_at_a_time_in_order_each_error_in_its_place(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """One process hears two files at once (one's voice detector runs while the other's
    phrases decode); results come back in the files' order as each is heard, a bad file
    as its message."""
    from mockint.errors import AudioError
    from mockint.rehearsal.worker import hear_files
    from mockint.sound.audio import load_audio

    from .conftest import espeak

    said = load_audio(espeak("Testing matters to me.", tmp_path / "said.wav"))
    both = threading.Barrier(2, timeout=20)  # the first two files wait for each other
    shown = threading.Event()  # the first result has reached the caller

    def load(path: str) -> np.ndarray:
        if path in ("a", "b"):
            both.wait()
        if path == "bad":
            raise AudioError(f"{path}: not audio")
        if path == "c" and not shown.wait(timeout=20):
            raise AudioError("c: read before anything was shown")
        return said

    class Named:
        name, sha256 = "named", None

        def transcribe(self, audio: np.ndarray, hints: object = None, *_: object) -> Transcript:
            return Transcript(str(hints))

    jobs = [("a", "A"), ("b", "B"), ("bad", None), ("c", "C")]
    heard = hear_files(jobs, Named(), load)  # type: ignore[arg-type]
    got = [next(heard)]  # as each is heard, not when all are
    shown.set()
    got += list(heard)
    assert [g if isinstance(g, str) else g.text for g in got] == ["A", "B", "bad: not audio", "C"]


def test_each_process_of_a_pool_is_given_files_to_hear_together_none_left_idle() -> None:
    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal.worker import TranscribePool

    class Tasks:
        def __init__(self) -> None:
            self.given: list[list[str]] = []

        def map(self, f: object, groups: list[list[tuple[str, None]]]) -> list[list[str]]:
            self.given += [[p for p, _ in g] for g in groups]
            return [[p.upper() for p, _ in g] for g in groups]

    pool = TranscribePool(WhisperOptions(), jobs=2)
    pool._pool = tasks = Tasks()
    assert pool([(p, None) for p in "ab"]) == ["A", "B"]
    assert pool([(p, None) for p in "cdefg"]) == list("CDEFG")
    assert tasks.given == [["a"], ["b"], ["c", "d"], ["e", "f"], ["g"]]
