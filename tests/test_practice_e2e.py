"""`mockint practice` end to end: real TTS, virtual microphone and speaker, real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.wer import wer
from mockint.bank import Bank, to_toml
from mockint.storage.store import Store

from .virtual_audio import (
    compose,
    espeak_wav,
    play_into_mic,
    pulse_ready,
    raw_capture_seconds_of_sound,
    start_practice,
)

pytestmark = [pytest.mark.slow, pytest.mark.audio]


@pytest.fixture(autouse=True)
def _pulse() -> None:
    assert pulse_ready(), "no virtual audio: run the tests with 'make test' (it starts PulseAudio)"


def test_practice_session_through_the_virtual_microphone(
    tmp_path: Path, home: Path, resume_bank: Bank
) -> None:
    q10, q195, q175 = (resume_bank.get(i) for i in ("Q10", "Q195", "Q175"))
    (home / "bank").mkdir(parents=True)
    (home / "bank" / "e2e.toml").write_text(to_toml(Bank("e2e", (q10, q195))))

    # Q10's model answer, spoken in two halves with a 1.6 s pause (shorter than --silence
    # 2.5), after 1 s of silence; then part of another question's answer to Q195 ...
    sentences = q10.model_answer.split(". ")
    half = len(sentences) // 2
    first = espeak_wav(". ".join(sentences[:half]) + ".", tmp_path / "a.wav")
    second = espeak_wav(". ".join(sentences[half:]), tmp_path / "b.wav")
    right = tmp_path / "right.wav"
    right_len = compose(right, 1.0, first, 1.6, second, 0.5)
    wrong = tmp_path / "wrong.wav"
    # (its first sentence, 9 s, cut as a phrase at the pause after it), ending in a short
    # sentence, which is sent for transcription early in the silence after it
    off_topic = q175.model_answer.split(". ")[0] + "."
    closing = espeak_wav("That is all.", tmp_path / "d.wav")
    compose(wrong, 0.5, espeak_wav(off_topic, tmp_path / "c.wav"), 1.2, closing, 0.5)

    capture = tmp_path / "speaker.raw"
    run = start_practice(home, ["--bank", "e2e", "--silence", "2.5"], capture_to=capture)
    try:
        run.wait_for(lambda e: e["event"] == "recording" and e["id"] == "Q10", timeout=60)
        assert run.capture is not None
        run.capture.terminate()
        run.capture.wait()
        play_into_mic(right)
        run.wait_for(lambda e: e["event"] == "recording" and e["id"] == "Q195", timeout=120)
        play_into_mic(wrong)
        out, _ = run.proc.communicate(timeout=180)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    assert run.proc.returncode == 0, out

    # The question was spoken aloud, for a plausible length (13 words at 165 wpm: ~4.5 s).
    spoken = raw_capture_seconds_of_sound(capture)
    assert 2.5 < spoken < 9.0, spoken

    events = run.events()
    stops = [e for e in events if e["event"] == "recording_stopped"]
    graded = {e["id"]: e for e in events if e["event"] == "graded"}
    # VAD ended the answer after it, not at the mid-answer pause.
    assert stops[0]["reason"] == "silence"
    assert right_len + 1.0 < stops[0]["seconds"] < right_len + 2.5 + 1.5, (stops[0], right_len)
    assert wer([q10.model_answer], [graded["Q10"]["transcript"]]) <= 0.20
    assert graded["Q10"]["score"] >= 60
    assert graded["Q195"]["score"] <= 30
    assert graded["Q10"]["score"] - graded["Q195"]["score"] >= 40
    # the closing sentence was transcribed during the silence, and that transcript kept
    # (what tiny.en makes of the lone "That is all." varies: "That's impossible" once)
    later = [e["event"] for e in events[events.index(stops[1]) :]]
    assert "tail_kept" in later and later.index("tail_kept") < later.index("graded")

    with Store(home / "mockint.db") as s:
        attempts = s.attempts()
    assert [(a.question_id, a.status) for a in attempts] == [
        ("Q10", "complete"),
        ("Q195", "complete"),
    ]
    assert all(a.audio_path and Path(a.audio_path).is_file() for a in attempts)
    assert attempts[0].models["transcriber"]["name"] == "whisper-tiny.en-ct2-int8"
    assert "Score:" in out and "This session" in out


def test_missing_input_device_is_one_line(home: Path) -> None:
    run = start_practice(home, ["--input-device", "no-such-mic", "--count", "1"])
    out, _ = run.proc.communicate(timeout=60)
    assert run.proc.returncode == 1
    assert out.strip().splitlines()[-1].startswith("Error: no input device matching 'no-such-mic'")
    assert out.strip().endswith(
        "connect a microphone, or pick one with --input-device (see 'mockint devices')"
    )
    assert "Traceback" not in out


def test_missing_output_device_is_one_line(home: Path) -> None:
    run = start_practice(home, ["--output-device", "no-such-speaker", "--count", "1"])
    out, _ = run.proc.communicate(timeout=60)
    assert run.proc.returncode == 1
    assert out.strip().startswith("Error: no output device matching 'no-such-speaker'")
    assert out.strip().endswith(
        "connect speakers or headphones, or pick one with --output-device (see 'mockint devices')"
    )


def test_review_play_replays_the_recording_from_a_second(tmp_path: Path, home: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import numpy as np

    from mockint.sound.audio import write_audio
    from mockint.storage.store import Attempt

    t = np.arange(3 * 16000) / 16000
    wav = write_audio(
        home / "recordings" / "a.flac", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    )
    with Store(home / "mockint.db") as s:
        aid = s.add_attempt(
            Attempt("resume", "Q1", "General", "hello", 50.0, 0.5, audio_path=str(wav))
        )
    raw = tmp_path / "speaker.raw"
    cap = subprocess.Popen(
        [
            "parec",
            "--device=speaker.monitor",
            "--rate=16000",
            "--channels=1",
            "--format=s16le",
            "--latency-msec=20",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    exe = Path(sys.executable).parent / "mockint"
    env = dict(os.environ, MOCKINT_HOME=str(home))
    out = subprocess.run(
        [str(exe), "review", f"a{aid}", "--play", "--from", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    time.sleep(0.3)
    cap.terminate()
    cap.wait()
    assert out.returncode == 0, out.stderr
    heard = raw_capture_seconds_of_sound(raw)
    assert 1.7 < heard < 2.3, heard  # 3 s of tone played from 1 s
