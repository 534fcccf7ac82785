"""The practice loop with injected devices and models: every path a session can take."""

from __future__ import annotations

import errno
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mockint.bank import Bank, Question
from mockint.hearing.listen import Endpointer, EndpointOptions, Listener, PhraseTranscriber, _slice
from mockint.hearing.transcribe import Transcriber
from mockint.rehearsal.practice import Interrupted, Practice, PracticeOptions, order_questions
from mockint.rehearsal.screen import Listening
from mockint.sound import audio as audio_mod
from mockint.sound.audio import SAMPLE_RATE, StreamingWav, load_audio
from mockint.sound.devices import ArrayRecorder, DeviceError
from mockint.sound.speech import Speaker
from mockint.storage.store import Store
from mockint.transcript import Transcript

from .conftest import HashingEmbedder

SR = SAMPLE_RATE


class EnergyVad:
    """A real VoiceDetector: loud frames are speech."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return float(np.sqrt(np.mean(frame**2))) > 0.05


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.3, int(seconds * SR)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


def answer_audio(*parts: tuple[str, float]) -> np.ndarray:
    return np.concatenate([speech(s) if k == "speech" else silence(s) for k, s in parts])


class FakeTranscriber(Transcriber):
    """Says the same sentence for every phrase; counts what it was given."""

    name = "fake-whisper"
    sha256 = "0" * 64

    def __init__(self, text: str = "I like clean code."):
        self.text = text
        self.calls: list[float] = []

    def transcribe(
        self, audio: np.ndarray, hints: object = None, voiced: object = None
    ) -> Transcript:
        self.calls.append(len(audio) / SR)
        return Transcript(self.text, duration=len(audio) / SR)


class FakeSpeaker(Speaker):
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str, on_start: object = None, stop: object = None) -> None:
        self.said.append(text)


class ScriptedUI:
    """Presses keys when the recording reaches given seconds; answers choices from a list."""

    def __init__(self, choices: list[str] | None = None, keys: dict[float, str] | None = None):
        self.choices = list(choices or [])
        self.keys = dict(keys or {})
        self.states: list[Listening] = []
        self.results: list[float] = []
        self.asked: list[str] = []
        self.summaries: list[object] = []
        self.corrections: list[str] = []
        self.kept: list[int] = []
        self.shown_model: list[str] = []
        self.answers: list[object] = []

    def status(self, message: str) -> None:
        pass

    def question(self, q: Question, index: int, total: int) -> None:
        self.asked.append(q.id)

    def listening(self, state: Listening) -> None:
        self.states.append(state)

    def transcribing(self) -> None:
        pass

    def result(self, a: object, attempt_id: int) -> None:
        self.results.append(attempt_id)
        self.last = a

    def taken(self, attempt_id: int, seconds: float) -> None:
        self.kept.append(attempt_id)

    def model_answer(self, q: Question) -> None:
        self.shown_model.append(q.id)

    def interrupted(self) -> bool:
        return False

    def action(self) -> str | None:
        elapsed = self.states[-1].elapsed if self.states else 0.0
        for at in sorted(self.keys):
            if elapsed >= at:
                return {"enter": "done", "s": "skip", "q": "quit", "h": "hint"}[self.keys.pop(at)]
        return None

    def choose(self) -> str:
        return self.choices.pop(0) if self.choices else "next"

    def edit(self, text: str) -> str | None:
        return self.corrections.pop(0) if self.corrections else None

    def summary(self, rows: list[object], missed: object = (), answers: object = ()) -> None:
        self.summaries.append(rows)
        self.missed = missed
        self.answers = list(answers)  # type: ignore[call-overload]


BANK = Bank(
    "test",
    (
        Question("Q1", "Code", "What do you like?", "I like clean code. Testing matters to me."),
        Question("Q2", "Code", "What else?", "I enjoy solving logical problems."),
        Question("Q3", "People", "Teams?", "I help teammates when they face issues."),
    ),
)


class Recorders:
    """Hands out one ArrayRecorder per answer, from a list of answer audios."""

    def __init__(self, *answers: np.ndarray):
        self.answers = list(answers)
        self.current: ArrayRecorder | None = None

    def start(self) -> None:
        self.current = ArrayRecorder(self.answers.pop(0) if self.answers else silence(1))
        self.current.start()

    def read(self, timeout: float) -> np.ndarray | None:
        assert self.current is not None
        return self.current.read(timeout)

    def stop(self) -> None:
        pass


def make(tmp_path: Path, recorder: object, ui: ScriptedUI, **opts: object) -> Practice:
    store = Store(tmp_path / "m.db")
    return Practice(
        BANK,
        store=store,
        recordings=tmp_path / "recordings",  # as the data directory names it
        speaker=FakeSpeaker(),
        recorder=recorder,  # type: ignore[arg-type]
        transcriber=FakeTranscriber(),
        embedder=HashingEmbedder(),
        ui=ui,
        options=PracticeOptions(**opts),  # type: ignore[arg-type]
        vad=EnergyVad(),
    )


# --- endpointing ------------------------------------------------------------------------


def feed(ep: Endpointer, audio: np.ndarray, block: int = 480) -> list[tuple[str, float]]:
    out = []
    for i in range(0, len(audio), block):
        out += [(e.kind, e.at / SR) for e in ep.feed(audio[i : i + block])]
    return out


def test_silence_rule_starts_only_after_speech() -> None:
    ep = Endpointer(EnergyVad(), EndpointOptions(silence=2.5))
    events = feed(ep, answer_audio(("silence", 4.0), ("speech", 3.0), ("silence", 3.0)))
    kinds = [k for k, _ in events]
    assert kinds[0] == "speech" and kinds[-1] == "end"
    assert events[0][1] == pytest.approx(4.0, abs=0.4)
    assert events[-1][1] == pytest.approx(7.0 + 2.5, abs=0.1)


def test_mid_answer_pause_cuts_a_phrase_but_does_not_end() -> None:
    ep = Endpointer(EnergyVad(), EndpointOptions(silence=2.5, phrase_pause=0.6))
    audio = answer_audio(("speech", 4.5), ("silence", 1.5), ("speech", 2.0), ("silence", 3.0))
    events = feed(ep, audio)
    # what follows the cut is too short to send alone (min_phrase 4 s): it goes as the tail,
    # once a silence says the answer may be over
    assert [k for k, _ in events] == ["speech", "phrase", "tail", "end"]
    assert 4.5 < events[1][1] < 4.9  # cut inside the pause, just after the speech
    assert events[2][1] == pytest.approx(8.0, abs=0.1)  # the last voiced sample
    assert events[-1][1] == pytest.approx(8.0 + 2.5, abs=0.1)


def test_short_phrases_wait_for_more_context() -> None:
    """Whisper hears a phrase better with the words around it: no cut before min_phrase."""
    ep = Endpointer(EnergyVad(), EndpointOptions(silence=2.5, phrase_pause=0.6, min_phrase=4.0))
    audio = answer_audio(
        ("speech", 2.0),
        ("silence", 0.9),
        ("speech", 2.0),
        ("silence", 0.9),
        ("speech", 2.0),
        ("silence", 3.0),
    )
    events = feed(ep, audio)
    assert [k for k, _ in events] == ["speech", "phrase", "tail", "end"]
    assert 4.9 < events[1][1] < 5.3  # after the second stretch (4.9 s in), not the first


def test_a_short_last_phrase_is_offered_once_per_silence() -> None:
    """A phrase too short to cut is offered as the possible tail after tail_pause of
    silence, once; speech coming back opens the offer again for the next silence."""
    ep = Endpointer(EnergyVad(), EndpointOptions(silence=2.5, min_phrase=4.0, tail_pause=1.0))
    audio = answer_audio(("speech", 1.0), ("silence", 1.5), ("speech", 1.0), ("silence", 3.0))
    events = feed(ep, audio)
    assert [k for k, _ in events] == ["speech", "tail", "tail", "end"]
    assert events[1][1] == pytest.approx(1.0, abs=0.1)  # the last voiced sample then
    assert events[2][1] == pytest.approx(3.5, abs=0.1)
    # a silence shorter than tail_pause offers nothing; one that ends the answer first neither
    quick = Endpointer(EnergyVad(), EndpointOptions(silence=0.8, tail_pause=1.0))
    assert [k for k, _ in feed(quick, answer_audio(("speech", 2.0), ("silence", 2.0)))] == [
        "speech",
        "end",
    ]


def test_long_speech_without_pauses_is_cut_at_its_quietest_moment() -> None:
    audio = speech(25.0)
    audio[int(8.7 * SR) : int(8.72 * SR)] *= 0.01  # one quiet 20 ms, inside the search window
    ep = Endpointer(EnergyVad(), EndpointOptions(max_phrase=10.0))
    phrases = [t for k, t in feed(ep, audio) if k == "phrase"]
    assert phrases and phrases[0] == pytest.approx(8.7, abs=0.05)
    assert all(b - a <= 10.1 for a, b in zip([0.0, *phrases], phrases, strict=False))


def test_slice_spans_blocks() -> None:
    blocks = [np.arange(i * 10, i * 10 + 10, dtype=np.float32) for i in range(5)]
    np.testing.assert_array_equal(_slice(blocks, 7, 23), np.arange(7, 23, dtype=np.float32))
    assert len(_slice(blocks, 50, 60)) == 0


def test_phrase_transcriber_joins_in_order_with_offsets() -> None:
    class Stamp:
        name = "stamp"

        def transcribe(
            self, audio: np.ndarray, hints: object = None, voiced: object = None
        ) -> Transcript:
            from mockint.transcript import Word

            return Transcript(f"{len(audio)}", words=(Word(f"{len(audio)}", 0.1, 0.2),))

    pt = PhraseTranscriber(Stamp())
    pt.submit(np.zeros(100), 0.0)
    pt.submit(np.zeros(200), 5.0)
    t = pt.finish(9.0)
    assert t.text == "100 200" and t.duration == 9.0
    assert [w.start for w in t.words] == pytest.approx([0.1, 5.1])


class Lengths:
    """Transcribes any audio as its length in samples, and keeps every length it was given."""

    name = "lengths"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def transcribe(
        self, audio: np.ndarray, hints: object = None, voiced: object = None
    ) -> Transcript:
        self.calls.append(len(audio))
        return Transcript(f"{len(audio)}")


def listen(audio: np.ndarray, early_tail: bool) -> tuple[Transcript, list[int], list[str]]:
    """The transcript, the lengths transcribed, and the listener's events but for the
    worker's reports of phrases done, which are checked against the lengths here."""
    t, events, done = Lengths(), [], []

    def event(name: str, **data: float) -> None:
        if name == "transcribed_phrase":
            done.append(data)
        else:
            events.append(name)

    listener = Listener(t, EnergyVad(), EndpointOptions(silence=2.5), event, early_tail=early_tail)
    for i in range(0, len(audio), 480):
        if listener.feed(audio[i : i + 480]):
            break
    out = listener.finish()
    assert [round(c / 16000, 2) for c in t.calls] == [d["seconds"] for d in done]
    assert all(d["took"] >= 0 for d in done)
    return out, t.calls, events


def test_the_last_short_phrase_is_transcribed_before_the_answer_ends() -> None:
    """The stop does not wait for the last phrase: it was sent at the silence's start,
    and the transcript is what sending it at the end gives."""
    audio = answer_audio(("speech", 5.0), ("silence", 1.0), ("speech", 2.0), ("silence", 3.0))
    late, late_calls, _ = listen(audio, early_tail=False)
    early, early_calls, events = listen(audio, early_tail=True)
    assert events == ["speech_start", "phrase", "tail", "tail_kept"]  # sent before the end
    assert early.text == late.text and early_calls == late_calls and len(early_calls) == 2
    # speech after the offer: that transcript is dropped, the phrase goes on whole
    resumed = answer_audio(("speech", 1.0), ("silence", 1.5), ("speech", 1.0), ("silence", 3.0))
    late, late_calls, _ = listen(resumed, early_tail=False)
    early, early_calls, _ = listen(resumed, early_tail=True)
    assert early.text == late.text == str(late_calls[-1])
    # (the first offer is transcribed unless the second came before the worker began it)
    assert early_calls[-1] == late_calls[-1] and all(c < late_calls[-1] for c in early_calls[:-1])
    assert len(early_calls) <= 2


def test_a_tentative_phrase_overtaken_before_it_began_is_not_transcribed() -> None:
    import threading

    class Held(Lengths):
        """Holds its first call until released, so that phrases queue up behind it."""

        def __init__(self) -> None:
            super().__init__()
            self.go = threading.Event()

        def transcribe(
            self, audio: np.ndarray, hints: object = None, voiced: object = None
        ) -> Transcript:
            self.go.wait(10)
            return super().transcribe(audio, hints, voiced)

    t = Held()
    pt = PhraseTranscriber(t)
    pt.submit(np.zeros(100), 0.0)
    pt.submit(np.zeros(200), 1.0, tentative=(16000, 19200))  # the candidate paused ...
    pt.submit(np.zeros(300), 1.0)  # ... and went on: this phrase holds the tentative one
    t.go.set()
    assert pt.finish(5.0).text == "100 300" and t.calls == [100, 300]


class AtWork(FakeTranscriber):
    """A transcriber that counts the phrases it is at work on, each for as long as
    ``work`` takes."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__()
        self.work = work
        self.started, self.active = threading.Event(), 0

    def transcribe(
        self, audio: np.ndarray, hints: object = None, voiced: object = None
    ) -> Transcript:
        self.active += 1
        self.started.set()
        self.work()
        self.active -= 1
        return super().transcribe(audio, hints, voiced)


def test_ctrl_c_while_a_recording_is_heard_ends_the_phrase_at_work_and_hears_no_more() -> None:
    """A process that ends while a model decodes on another thread crashes (SIGABRT in
    CTranslate2): an interrupted recording ends only once no phrase is being heard."""
    import time

    from mockint.hearing.listen import heard_by_phrases

    t = AtWork(lambda: time.sleep(0.3))

    class Interrupted(EnergyVad):
        def is_speech(self, frame: np.ndarray) -> bool:
            if t.started.is_set():
                raise KeyboardInterrupt
            return super().is_speech(frame)

    audio = answer_audio(*[("speech", 2.0), ("silence", 1.0)] * 12)
    with pytest.raises(KeyboardInterrupt):
        heard_by_phrases(audio, t, Interrupted())
    assert t.active == 0 and 0 < len(t.calls) < 12


def cancelled_while_pressed(presses: int) -> AtWork:
    """Cancel a PhraseTranscriber at work on a phrase, Ctrl-C pressed ``presses`` more
    times while cancel() waits for it (expected to raise KeyboardInterrupt once that
    phrase is done); the transcriber, to ask whether the phrase was still at work."""
    import signal
    import threading
    import time

    from mockint.hearing.listen import PhraseTranscriber

    release = threading.Event()

    def held() -> None:
        release.wait(10)
        time.sleep(0.2)  # still at work when the second Ctrl-C's wait would end

    t = AtWork(held)
    pt = PhraseTranscriber(t)
    pt.submit(np.full(8000, 0.1, np.float32), 0.0)
    assert t.started.wait(10)
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main
    waiting, wait = threading.Event(), pt._done.wait

    def waits(timeout: float | None = None) -> bool:
        waiting.set()
        return wait(timeout)

    pt._done.wait = waits  # type: ignore[method-assign]

    def ctrl_c_again() -> None:
        assert waiting.wait(10)  # once cancel() waits, however slow the machine
        for _ in range(presses):
            time.sleep(0.05)
            signal.pthread_kill(main, signal.SIGINT)
        time.sleep(0.2)
        release.set()

    # a job started in the background of a shell without job control ignores SIGINT, and
    # Python then raises nothing for it: the test sets Python's own handler
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=ctrl_c_again, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            pt.cancel()
    finally:
        signal.signal(signal.SIGINT, before)
    return t


def test_a_second_ctrl_c_while_hearing_is_cancelled_still_waits_for_the_phrase_at_work() -> None:
    """The first Ctrl-C waits for the phrase being heard; a second one, pressed while
    it waited, ended the wait: the process ended with the model still decoding (SIGABRT,
    status 134). Now it is raised once that phrase is done."""
    t = cancelled_while_pressed(1)
    assert t.active == 0  # the phrase at work was done before the Ctrl-C was raised


def test_a_ctrl_c_held_while_hearing_is_cancelled_says_so_once(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # held in silence, a second Ctrl-C looked ignored until the phrase was done
    from mockint.hearing.listen import HELD

    capfd.readouterr()
    t = cancelled_while_pressed(3)
    assert t.active == 0
    assert capfd.readouterr().err == HELD  # one line, however many presses


# --- the loop -------------------------------------------------------------------------------


def test_answer_ends_after_speech_and_is_stored_at_once(tmp_path: Path) -> None:
    ui = ScriptedUI()
    audio = answer_audio(("silence", 1.0), ("speech", 3.0), ("silence", 1.5), ("speech", 2.0))
    p = make(tmp_path, Recorders(audio), ui, count=1)
    rows = p.run(p.plan())
    [a] = p.store.attempts()
    assert a.status == "complete" and a.question_id == "Q1"
    assert a.duration == pytest.approx(7.5 + 2.5, abs=0.2)  # not cut at the 1.5 s pause
    assert a.audio_path and a.audio_path.endswith(".flac")
    assert len(load_audio(a.audio_path)) / SR == pytest.approx(a.duration, abs=0.05)
    assert a.transcript.startswith("I like clean code.")
    assert rows[0].attempts == 1 and ui.results == [a.id]
    assert p.speaker.said == [BANK.questions[0].text]  # type: ignore[attr-defined]
    # the summary lists what this session missed, as the attempt recorded it
    missed = [k["text"] for k in a.key_points if k["status"] == "missed"]
    assert [m.text for m in ui.missed] == missed  # type: ignore[attr-defined]


def test_an_answer_the_store_cannot_take_is_kept_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from mockint.errors import StoreError

    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0))), ScriptedUI(), count=1)

    def full(*_a: object, **_k: object) -> int:
        raise StoreError(f"{tmp_path / 'm.db'}: the disk is full: free some space")

    monkeypatch.setattr(p.store, "add_attempt", full)
    with pytest.raises(StoreError) as e:  # the CLI prints it as one line
        p.run(p.plan())
    assert "the graded answer is kept in" in str(e.value)
    [kept] = (tmp_path / "pending").glob("*.json")
    assert json.loads(kept.read_text())["question_id"] == "Q1"


def test_enter_ends_the_answer_early(tmp_path: Path) -> None:
    ui = ScriptedUI(keys={2.0: "enter"})
    p = make(tmp_path, Recorders(speech(30.0)), ui, count=1)
    p.run(p.plan())
    [a] = p.store.attempts()
    assert a.duration == pytest.approx(2.0, abs=0.2)


def test_time_limit_warns_then_stops(tmp_path: Path) -> None:
    ui = ScriptedUI()
    p = make(tmp_path, Recorders(speech(40.0)), ui, count=1, max_seconds=12.0, warn_seconds=5.0)
    p.run(p.plan())
    [a] = p.store.attempts()
    assert a.duration == pytest.approx(12.0, abs=0.1)
    assert not ui.states[0].warn and ui.states[-1].warn
    assert min(s.remaining for s in ui.states) < 0.2


def test_skip_stores_nothing_and_moves_on(tmp_path: Path) -> None:
    ui = ScriptedUI(keys={1.0: "s"})
    p = make(tmp_path, Recorders(speech(5.0), answer_audio(("speech", 2.0))), ui, count=2)
    p.run(p.plan())
    assert ui.asked == ["Q1", "Q2"]
    assert [a.question_id for a in p.store.attempts()] == ["Q2"]
    assert len(list((tmp_path / "recordings").rglob("*Q1*"))) == 0


def test_retry_and_repeat(tmp_path: Path) -> None:
    ui = ScriptedUI(choices=["retry", "repeat", "next"])
    one = answer_audio(("speech", 2.0))
    p = make(tmp_path, Recorders(one, one, one), ui, count=1)
    p.run(p.plan())
    assert [a.question_id for a in p.store.attempts()] == ["Q1", "Q1", "Q1"]
    assert p.speaker.said == [BANK.questions[0].text] * 2  # type: ignore[attr-defined]


def test_quit_ends_the_session_and_resume_continues_it(tmp_path: Path) -> None:
    one = answer_audio(("speech", 2.0))
    ui = ScriptedUI(choices=["quit"])
    p = make(tmp_path, Recorders(one), ui)
    p.run(p.plan())
    assert len(p.store.attempts()) == 1
    # quitting ends the session; a session stopped by Ctrl-C stays open to resume
    ui2 = ScriptedUI(keys={1.0: "q"})
    p2 = make(tmp_path, Recorders(speech(5.0)), ui2)
    with pytest.raises(Interrupted) as stopped:
        p2.run(p2.plan())
    assert stopped.value.by_user and stopped.value.attempt_id is not None
    p3 = make(tmp_path, Recorders(one, one, one), ScriptedUI())
    todo = p3.resume_plan()
    assert [q.id for q in todo] == ["Q1", "Q2", "Q3"]  # the interrupted Q1 is asked again
    p3.run(todo)
    assert p3.session_id == p2.session_id
    assert [a.status for a in p3.store.attempts(session_id=p3.session_id)] == [
        "interrupted",
        "complete",
        "complete",
        "complete",
    ]


class Failing:
    """A microphone that delivers some audio, then fails with ``error``."""

    def __init__(self, error: BaseException, after: int = 100):
        self.error, self.after, self.n = error, after, 0

    def start(self) -> None:
        self.n = 0

    def read(self, timeout: float) -> np.ndarray:
        self.n += 1
        if self.n > self.after:
            raise self.error
        return speech(0.03, seed=self.n)

    def stop(self) -> None:
        pass


def test_ctrl_c_keeps_the_audio_and_stores_an_interrupted_attempt(tmp_path: Path) -> None:
    p = make(tmp_path, Failing(KeyboardInterrupt()), ScriptedUI())
    with pytest.raises(Interrupted) as e:
        p.run(p.plan())
    [a] = p.store.attempts()
    assert e.value.attempt_id == a.id and a.status == "interrupted"
    assert a.audio_path and len(load_audio(a.audio_path)) / SR == pytest.approx(3.0, abs=0.05)


def _ctrl_c_while_transcribing(monkeypatch: pytest.MonkeyPatch, presses: int) -> None:
    import signal

    from mockint.hearing.listen import Listener

    real = Listener.finish

    def finish(self: Listener, *a: Any, **k: Any) -> object:
        for _ in range(presses):
            signal.raise_signal(signal.SIGINT)
        return real(self, *a, **k)

    monkeypatch.setattr(Listener, "finish", finish)


@pytest.mark.parametrize("during", ["answer ended", "ctrl-c while answering"])
def test_ctrl_c_while_an_answer_is_transcribed_stores_it_then_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, during: str
) -> None:
    _ctrl_c_while_transcribing(monkeypatch, presses=1)
    ended = during == "answer ended"
    mic = Recorders(answer_audio(("speech", 2.0))) if ended else Failing(KeyboardInterrupt())
    p = make(tmp_path, mic, ScriptedUI(), count=2)
    with pytest.raises(Interrupted) as e:
        p.run(p.plan())
    [a] = p.store.attempts()  # stored (it was lost: only the WAV stayed), no second question
    assert e.value.by_user and e.value.attempt_id == a.id
    assert a.status == ("complete" if ended else "interrupted")
    assert a.audio_path and Path(a.audio_path).suffix == ".flac"


def test_ctrl_c_while_a_failed_answer_is_stored_keeps_the_failures_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    _ctrl_c_while_transcribing(monkeypatch, presses=1)
    err = DeviceError("the input device stopped delivering audio (unplugged?): reconnect it")
    p = make(tmp_path, Failing(err), ScriptedUI())
    with pytest.raises(Interrupted, match="reconnect it") as e:
        p.run(p.plan())
    assert not e.value.by_user and [a.status for a in p.store.attempts()] == ["interrupted"]
    assert "Stopping once this answer is stored" in capfd.readouterr().err  # the press is heard


def test_ctrl_c_twice_while_an_answer_is_transcribed_stops_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    before = signal.getsignal(signal.SIGINT)
    _ctrl_c_while_transcribing(monkeypatch, presses=2)
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0))), ScriptedUI())
    with pytest.raises(KeyboardInterrupt):
        p.run(p.plan())
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C is itself again


def test_device_lost_mid_answer_is_one_clear_error_and_keeps_the_answer(tmp_path: Path) -> None:
    err = DeviceError("the input device stopped delivering audio (unplugged?): reconnect it")
    p = make(tmp_path, Failing(err), ScriptedUI())
    with pytest.raises(Interrupted, match="stopped delivering audio") as e:
        p.run(p.plan())
    [a] = p.store.attempts()
    assert a.id == e.value.attempt_id and a.status == "interrupted"


def test_full_disk_stops_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = answer_audio(("speech", 2.0))
    ui = ScriptedUI()
    p = make(tmp_path, Recorders(ok, speech(10.0)), ui, count=2)
    real_write = StreamingWav.write

    def write(self: StreamingWav, block: np.ndarray) -> None:
        if "Q2" in self.path.name and self.seconds > 1.0:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, block)

    monkeypatch.setattr(audio_mod.StreamingWav, "write", write)
    with pytest.raises(Interrupted, match=r"cannot write .*Q2.*: No space left on device: free"):
        p.run(p.plan())
    assert [(a.question_id, a.status) for a in p.store.attempts()] == [
        ("Q1", "complete"),
        ("Q2", "interrupted"),
    ]


def test_killed_process_leaves_a_playable_recording(tmp_path: Path) -> None:
    path = tmp_path / "answer.wav"
    code = (
        "import os, numpy as np; from mockint.sound.audio import StreamingWav; "
        f"w = StreamingWav({str(path)!r}); "
        "[w.write(np.full(480, 0.1, np.float32)) for _ in range(200)]; os._exit(9)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    got = load_audio(path)
    assert 6.0 - 0.5 <= len(got) / SR <= 6.0


def test_weakest_first_follows_the_review_schedule() -> None:
    from mockint.storage.store import Attempt

    def att(qid: str, score: float, when: str) -> Attempt:
        return Attempt("test", qid, "Code", "", score, 0.0, graded_at=when)

    qs = list(BANK.questions)
    history = [
        att("Q1", 90.0, "2026-11-26T10:00:00+00:00"),
        att("Q2", 40.0, "2026-11-20T10:00:00+00:00"),
    ]
    order = order_questions(qs, "weakest", history)
    # never answered first, then the weak overdue Q2, then Q1 (answered well, not yet due)
    assert [q.id for q in order] == ["Q3", "Q2", "Q1"]
    shuffled = order_questions(qs, "random", [], seed=1)
    assert sorted(q.id for q in shuffled) == ["Q1", "Q2", "Q3"]


def test_no_tts_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyttsx3

    from mockint.sound.speech import Pyttsx3Speaker, SpeechError

    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    monkeypatch.setattr(pyttsx3, "init", broken)
    with pytest.raises(SpeechError) as e:
        Pyttsx3Speaker().synthesize("Hello?")
    assert str(e.value) == (
        "no text-to-speech engine: install espeak-ng (sudo apt-get install libespeak-ng1 "
        "espeak-ng) or run with --no-tts"
    )


def test_tts_renders_a_question_to_speech_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from mockint.sound.speech import Pyttsx3Speaker

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    speaker = Pyttsx3Speaker()
    audio, sr = speaker.synthesize("How do you keep your code clean?")
    assert sr > 8000 and 1.0 < len(audio) / sr < 5.0
    assert float(np.abs(audio).max()) > 0.1
    assert list(tmp_path.iterdir()) == []  # the render's WAV and its folder are gone


def test_long_pauses_come_from_voice_activity_not_word_times() -> None:
    from mockint.grading.delivery import measure
    from mockint.hearing.listen import voice_pauses
    from mockint.transcript import Word

    audio = answer_audio(
        ("silence", 1.0),
        ("speech", 3.0),
        ("silence", 3.0),
        ("speech", 2.0),
        ("silence", 1.0),
        ("speech", 1.0),
        ("silence", 2.0),
    )
    [(at, seconds)] = voice_pauses(audio, EnergyVad())
    assert at == pytest.approx(4.0, abs=0.05) and seconds == pytest.approx(3.0, abs=0.05)
    # word times with a gap the recording does not have (a misheard stretch) add no pause
    words = [Word("one", 1.0, 1.5), Word("two", 5.0, 5.5), Word("three", 9.0, 9.5)]
    d = measure(words, pauses=[(at, seconds)])
    assert d is not None and d.long_pauses == [(at, seconds)]
    assert measure(words) is not None and len(measure(words).long_pauses) == 2  # type: ignore[union-attr]


def test_the_candidate_corrects_the_transcript_and_the_answer_is_regraded(tmp_path: Path) -> None:
    ui = ScriptedUI(choices=["edit", "next"])
    ui.corrections = ["I like clean code. Testing matters to me."]
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0))), ui, count=1)
    p.run(p.plan())
    [a] = p.store.attempts()
    assert a.transcript == "I like clean code. Testing matters to me."  # what was graded
    assert a.heard == "I like clean code."  # what was heard, kept
    assert ui.results == [a.id, a.id]  # the result was shown again, regraded
    assert a.score == 100.0


def test_a_correction_an_import_would_refuse_is_not_stored(tmp_path: Path) -> None:
    """An escape sequence typed in the editor was stored; the export then failed to import."""
    ui = ScriptedUI(choices=["edit", "next"])
    ui.corrections = ["I like clean code. \x1b[2J Testing matters to me."]
    said: list[str] = []
    ui.status = said.append  # type: ignore[method-assign]
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0))), ui, count=1)
    p.run(p.plan())
    [a] = p.store.attempts()
    assert a.transcript == "I like clean code." and a.heard is None  # as heard, not edited
    assert ui.results == [a.id]  # not regraded
    assert any(m.startswith("Not changed: the edited transcript: the answer holds") for m in said)


# --- modes, hints, the model answer, STAR ----------------------------------------------------


def test_live_mode_takes_one_answer_each_and_scores_only_in_the_summary(tmp_path: Path) -> None:
    ui = ScriptedUI(choices=["retry", "retry"])  # a live session never asks
    answer = answer_audio(("speech", 1.0), ("silence", 3.0))
    p = make(tmp_path, Recorders(answer, answer), ui, count=2, mode="live")
    p.run(p.plan())
    assert ui.results == [] and len(ui.kept) == 2  # no per-answer result on screen
    assert ui.choices == ["retry", "retry"]  # one take: nothing was chosen
    assert not any(s.hint for s in ui.states) and all(s.live for s in ui.states)
    assert [a.question_id for a in ui.answers] == ["Q1", "Q2"]  # scores come at the end
    assert {a.mode for a in p.store.attempts()} == {"live"}
    assert p.store.attempts(mode="practice") == []


def test_live_mode_ignores_the_hint_key(tmp_path: Path) -> None:
    ui = ScriptedUI(keys={0.5: "h"})
    p = make(
        tmp_path,
        Recorders(answer_audio(("speech", 2.0), ("silence", 3.0))),
        ui,
        count=1,
        mode="live",
    )
    p.run(p.plan())
    assert not any(s.hint for s in ui.states)


def test_hint_shows_the_start_of_the_first_key_point_not_yet_covered(tmp_path: Path) -> None:
    ui = ScriptedUI(keys={0.5: "h"})
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0), ("silence", 3.0))), ui, count=1)
    p.run(p.plan())
    hints = {s.hint for s in ui.states if s.hint}
    # nothing transcribed yet at 0.5 s: the first key point, cut to its first six words
    assert hints == {"I like clean code."}
    assert p.store.attempts()[0].mode == "practice"


def test_model_answer_is_shown_and_spoken_in_practice_mode(tmp_path: Path) -> None:
    ui = ScriptedUI(choices=["model", "next"])
    p = make(tmp_path, Recorders(answer_audio(("speech", 1.0), ("silence", 3.0))), ui, count=1)
    p.run(p.plan())
    assert ui.shown_model == ["Q1"]
    assert p.speaker.said == [BANK.questions[0].text, BANK.questions[0].model_answer]  # type: ignore[attr-defined]


def test_behavioural_answers_get_star_feedback_and_a_note(tmp_path: Path) -> None:
    from dataclasses import replace

    story = (
        "Last year on the DHL project the tracking API was slow. I had to make it fast. "
        "I added an index and I cached the results. The response time dropped from "
        "three seconds to two hundred milliseconds."
    )
    ui = ScriptedUI()
    p = make(tmp_path, Recorders(answer_audio(("speech", 1.0), ("silence", 3.0))), ui, count=1)
    p.bank = Bank("test", (replace(BANK.questions[2], kind="behavioural"),))
    p.transcriber = p.assessor.transcriber = FakeTranscriber(story)
    p.run(p.plan())
    star = ui.last.star  # type: ignore[attr-defined]
    assert star is not None and star.missing == []
    assert star.measured.startswith("The response time dropped")
    stored = p.store.attempts()[0]
    assert stored.notes[-1].startswith("STAR: situation, task, actions and a measured result")


def test_practice_scores_two_texts_at_once_only_where_cores_are_spare() -> None:
    from mockint.rehearsal.interview import score_workers

    assert score_workers(1, cores=2) == 2 and score_workers(1, cores=8) == 2
    assert score_workers(1, cores=1) == 1  # one core: the recorder needs its share
    assert score_workers(2, cores=2) == 1 and score_workers(2, cores=4) == 2


def test_a_phrase_boundary_leaves_no_full_stop_inside_a_sentence() -> None:
    from mockint.transcript import Segment, Word, joined

    def phrase(text: str, start: float) -> Transcript:
        words = tuple(Word(w, start + i, start + i + 0.5) for i, w in enumerate(text.split()))
        return Transcript(text, (Segment(text, start, start + len(words)),), words)

    parts = [
        phrase("It puts the job on a broker.", 0.0),
        phrase("Redis in my case.", 10.0),
        phrase("and returns at once, e.g.", 20.0),
        phrase("when it is done etc.", 30.0),
        phrase("and so on...", 40.0),
        phrase("and that was it.", 50.0),
    ]
    t = joined(parts, 60.0)
    assert t.text == (
        "It puts the job on a broker. Redis in my case and returns at once, e.g. "
        "when it is done etc. and so on... and that was it."
    )
    assert " ".join(w.text for w in t.words) == t.text
    assert " ".join(s.text for s in t.segments) == t.text
    assert [w.start for w in t.words] == [w.start for p in parts for w in p.words]

    class Says:
        name = "says"

        def __init__(self, *texts: str) -> None:
            self.texts = list(texts)

        def transcribe(
            self, audio: np.ndarray, hints: object = None, voiced: object = None
        ) -> Transcript:
            return Transcript(self.texts.pop(0))

    pt = PhraseTranscriber(Says("Redis in my case.", "and returns"))
    pt.submit(np.zeros(100), 0.0)
    pt.submit(np.zeros(100), 5.0)
    assert pt.finish(9.0).text == "Redis in my case and returns"
    assert pt.text == "Redis in my case and returns"  # the live text shows the same


# --- the start: the first question before the models ----------------------------------------


class LoadLog(FakeTranscriber):
    """A transcriber (and embedder) that notes when it is asked to load."""

    def __init__(self, log: list[str]):
        super().__init__()
        self.log = log

    def load(self) -> None:
        self.log.append("load")


class SlowStartSpeaker(FakeSpeaker):
    """Takes a moment to start playing each question, as a voice does."""

    def __init__(self, log: list[str]):
        super().__init__()
        self.log = log

    def say(self, text: str, on_start: object = None, stop: object = None) -> None:
        import time

        time.sleep(0.2)  # the first sentence renders
        self.log.append("playing")
        if callable(on_start):
            on_start()
        super().say(text)


def test_the_first_question_plays_before_the_models_load(tmp_path: Path) -> None:
    log: list[str] = []
    p = make(tmp_path, Recorders(answer_audio(("speech", 2.0))), ScriptedUI(), count=1)
    p.transcriber = p.assessor.transcriber = LoadLog(log)
    p.speaker = SlowStartSpeaker(log)
    p.run(p.plan())
    assert log[0] == "playing" and "load" in log  # the models load once the voice speaks
    [a] = p.store.attempts()
    assert a.status == "complete" and a.transcript.startswith("I like clean code.")


def piper_with(
    monkeypatch: pytest.MonkeyPatch, cache: Path, sentences: object, on_play: object = None
) -> tuple[object, list[np.ndarray]]:
    """A PiperSpeaker whose renders come from ``sentences`` and whose playback is noted."""
    from mockint.sound import speech

    played: list[np.ndarray] = []

    def play(chunks: object, sr: int, *_a: object) -> None:
        for c in chunks:  # type: ignore[attr-defined]
            played.append(c)
            if callable(on_play):
                on_play()

    monkeypatch.setattr(speech, "play_stream", play)
    sp = speech.PiperSpeaker(cache=cache)
    monkeypatch.setattr(sp, "sentences", sentences)
    return sp, played


def test_a_prepared_question_plays_its_first_sentence_while_the_rest_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    first_played = threading.Event()
    one, two = np.full(100, 0.1, np.float32), np.full(100, -0.2, np.float32)

    def sentences(text: str) -> object:
        yield one
        assert first_played.wait(5), "the second sentence was awaited before the first played"
        yield two

    sp, played = piper_with(monkeypatch, tmp_path / "cache", sentences, first_played.set)
    sp.prepare("One. Two.", wait=True)  # type: ignore[attr-defined]
    sp.say("One. Two.")  # type: ignore[attr-defined]
    assert len(played) == 2 and played[0] is one and played[1] is two


def test_a_rendered_question_is_kept_and_plays_next_time_without_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = [np.linspace(-0.5, 0.5, 300, dtype=np.float32), np.full(50, 0.25, np.float32)]
    sp, _ = piper_with(monkeypatch, tmp_path / "cache", lambda text: iter(audio))
    sp.prepare("Why Python?", wait=True)  # type: ignore[attr-defined]
    sp.close()  # type: ignore[attr-defined]

    def no_render(text: str) -> object:
        raise AssertionError("rendered again")

    again, played = piper_with(monkeypatch, tmp_path / "cache", no_render)
    again.prepare("Why Python?", wait=True)  # type: ignore[attr-defined]
    again.say("Why Python?")  # type: ignore[attr-defined]
    assert np.abs(np.concatenate(played) - np.concatenate(audio)).max() <= 1 / 32767
    other, played = piper_with(monkeypatch, tmp_path / "cache", lambda text: iter(audio[:1]))
    other.say("Why Go?")  # type: ignore[attr-defined]
    assert len(played) == 1  # another text is rendered, not taken from the cache
