"""The microphone check's measures and verdicts on signals made to be each case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mockint.rehearsal.miccheck import FLOOR_DB, analyse, record_check, remember, remembered
from mockint.sound.devices import ArrayRecorder
from mockint.transcript import Transcript

SR = 16000


def voice(level: float = 0.3, seconds: float = 2.0) -> np.ndarray:
    """A voiced-speech stand-in: a 150 Hz buzz with harmonics, syllable-modulated,
    between silences."""
    t = np.arange(int(seconds * SR)) / SR
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    env = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) ** 2
    sig = (buzz * env).astype(np.float32)
    sig *= level / np.max(np.abs(sig))
    gap = np.zeros(int(1.5 * SR), np.float32)
    return np.concatenate([gap, sig, gap])


@pytest.mark.parametrize(
    ("audio", "verdict"),
    [
        (voice(), "ok"),
        (np.zeros(5 * SR, np.float32), "no signal"),
        (voice(1e-4), "no signal"),
        (voice(0.008), "too quiet"),
        (np.clip(voice(0.3) * 10, -1, 1), "clipping"),
        (
            voice() + np.random.default_rng(0).normal(0, 0.03, len(voice())).astype(np.float32),
            "noisy",
        ),
    ],
    ids=["ok", "digital-silence", "nearly-nothing", "quiet", "clipped", "noisy"],
)
def test_verdicts(audio: np.ndarray, verdict: str) -> None:
    c = analyse(audio, heard="I am ready for my interview today.")
    assert c.verdict == verdict, c
    assert c.passed == (verdict == "ok")


def test_figures_are_in_dbfs() -> None:
    c = analyse(voice(0.5))
    assert c.peak_db == pytest.approx(-6.0, abs=0.1)
    assert c.noise_db == -100.0 and -20 < c.level_db < -5
    assert c.line == "microphone OK" and "noise floor -100 dBFS" in c.figures()


def test_loud_enough_but_no_words_is_its_own_verdict() -> None:
    c = analyse(voice(), heard="")
    assert c.verdict == "no words" and 'say "I am ready' in c.line


def test_record_check_reads_the_recorder_transcribes_and_can_be_skipped() -> None:
    class Heard:
        def transcribe(
            self, audio: np.ndarray, hints: object = None, voiced: object = None
        ) -> Transcript:
            self.seconds = len(audio) / SR
            return Transcript("I am ready for my interview today.")

    t = Heard()
    c = record_check(ArrayRecorder(voice()), t, seconds=3.0)
    assert c is not None and c.verdict == "ok" and t.seconds == pytest.approx(3.0, abs=0.05)
    assert record_check(ArrayRecorder(voice()), t, 3.0, on_level=lambda s, db: s > 1.0) is None


def test_a_pass_is_remembered_per_device_and_a_damaged_file_is_no_pass(tmp_path: Path) -> None:
    f = tmp_path / "mic-check.json"
    assert not remembered(f, "default")
    remember(f, "default", analyse(voice(), "hello"))
    remember(f, "2", analyse(np.zeros(SR, np.float32), ""))
    assert remembered(f, "default") and not remembered(f, "2")
    f.write_text("{not json")
    assert not remembered(f, "default")
    remember(f, "default", analyse(voice(), "hello"))  # a damaged file is replaced
    assert remembered(f, "default")


def test_a_link_planted_as_the_check_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "notes.txt"
    outside.write_text("mine")
    (tmp_path / "home").mkdir()
    f = tmp_path / "home" / "mic-check.json"
    f.symlink_to(outside)
    remember(f, "default", analyse(voice(), "hello"))
    assert outside.read_text() == "mine" and not f.is_symlink() and remembered(f, "default")


def test_a_recorder_that_gives_nothing_ends_in_no_signal_and_can_still_be_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's microphone may send nothing at all (denied, unplugged): the check
    neither hangs nor loses its skip key."""

    class Mute:
        def start(self) -> None: ...
        def stop(self) -> None: ...
        def read(self, timeout: float) -> None:
            return None

    monkeypatch.setattr("mockint.rehearsal.miccheck.GRACE", 0.1)
    c = record_check(Mute(), None, seconds=0.2)
    assert c is not None and c.verdict == "no signal"
    polls: list[float] = []
    assert record_check(Mute(), None, 30.0, on_level=lambda s, db: polls.append(db) or True) is None
    assert polls == [FLOOR_DB]


def test_a_failed_check_before_practice_may_be_tried_again_in_the_terminal(
    tmp_path: Path,
) -> None:
    """Practice's check on screen: a failed check offers r (try again) until it passes or
    the candidate goes on; a pass asks nothing."""
    import io

    from rich.console import Console

    from mockint.rehearsal.interview import check_until_settled
    from mockint.ui import ConsoleUI

    from .conftest import Pressed

    class Recorder(ArrayRecorder):
        """Silent (a muted microphone) until ``fixed`` checks have been tried."""

        def __init__(self, fixed: int):
            super().__init__(np.zeros(0, np.float32))
            self.tries, self.fixed = 0, fixed

        def start(self) -> None:
            self.tries += 1
            self.audio = voice() if self.tries > self.fixed else np.zeros(0, np.float32)
            super().start()

    class Heard:
        def transcribe(self, audio: np.ndarray, *args: object) -> Transcript:
            return Transcript("I am ready for my interview today.")

    for keys, fixed, tries, asked in (
        (("r", "r"), 2, 3, 2),  # muted twice, tried again twice, then it passes
        (("x",), 5, 1, 1),  # muted, and the candidate goes on
        ((), 0, 1, 0),  # it passes: nothing asked
    ):
        out = io.StringIO()
        ui = ConsoleUI(Console(file=out, width=120), Pressed(*keys))  # type: ignore[arg-type]
        rec = Recorder(fixed)
        check_until_settled(rec, Heard(), ui, tmp_path / "mic-check.json", "dev")
        assert rec.tries == tries
        assert out.getvalue().count("r: try again · any other key: go on") == asked
