"""webrtcvad against Silero VAD (ONNX) for ending answers: real speech and noise.

    .venv/bin/python bench/vad.py

Each FLEURS utterance is an answer (1 s of silence before, 4 s after), clean and
with noise of three kinds at two levels. mockint's Endpointer (2.5 s silence rule)
runs with each VAD; the last word's end comes from Whisper's word times. Reported:
answers ended correctly (after the last word, within 3.5 s of it), the median
delay, the share of 30 ms frames of noise alone called speech, and CPU time per
second of audio. The Silero model runs on onnxruntime without torch: 512-sample
chunks plus 64 samples of context, and a [2, 1, 128] state.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.hearing.listen import Endpointer, EndpointOptions  # noqa: E402
from mockint.hearing.vad import FRAME, SileroVad  # noqa: E402
from mockint.sound.audio import SAMPLE_RATE  # noqa: E402


class WebRtcVad:
    """webrtcvad (GMM, ~0.15 ms CPU per second of audio) with an energy floor.

    Kept here only to compare: Silero replaced it (needs: pip install webrtcvad-wheels).
    """

    def __init__(self, aggressiveness: int = 2, floor_dbfs: float = -70.0):
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self._floor = 10 ** (floor_dbfs / 20)

    def is_speech(self, frame: np.ndarray) -> bool:
        if float(np.sqrt(np.mean(frame**2))) < self._floor:
            return False
        pcm = (np.clip(frame, -1, 1) * 32767).astype("<i2").tobytes()
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))


def noise(kind: str, n: int, dbfs: float, rng: np.random.Generator) -> np.ndarray:
    white = rng.normal(0, 1, n)
    if kind == "pink":
        spec = np.fft.rfft(white)
        spec /= np.sqrt(np.arange(1, len(spec) + 1))
        white = np.fft.irfft(spec, n)
    elif kind == "hum":  # mains hum and a fan
        t = np.arange(n) / SAMPLE_RATE
        white = np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t) + 0.3 * white
    white /= np.sqrt(np.mean(white**2))
    return (white * 10 ** (dbfs / 20)).astype(np.float32)


def end_of_answer(make_vad: object, audio: np.ndarray) -> tuple[float | None, float]:
    """When the Endpointer (2.5 s rule) ends the answer, and CPU ms per audio second."""
    ep = Endpointer(make_vad(), EndpointOptions(silence=2.5))  # type: ignore[operator]
    start = time.process_time()
    end_at = None
    for i in range(0, len(audio), FRAME):
        for e in ep.feed(audio[i : i + FRAME]):
            if e.kind == "end" and end_at is None:
                end_at = e.at / SAMPLE_RATE
    cpu = (time.process_time() - start) / (len(audio) / SAMPLE_RATE) * 1000
    return end_at, cpu


def false_speech(make_vad: object, n: np.ndarray) -> float:
    vad = make_vad()  # type: ignore[operator]
    flags = [vad.is_speech(n[i : i + FRAME]) for i in range(0, len(n) - FRAME, FRAME)]
    return float(np.mean(flags))


def main() -> int:
    from mockint.hearing.transcribe import WhisperTranscriber
    from mockint.sound.audio import load_audio
    from tests.conftest import fleurs

    t = WhisperTranscriber()
    clips = []
    for path, _ in fleurs():
        a = load_audio(path)
        a = np.clip(a * (0.25 / max(float(np.percentile(np.abs(a), 99.9)), 1e-6)), -1, 1)
        last_word = t.transcribe(a).words[-1].end  # where speech really ends
        clips.append(
            (
                np.concatenate(
                    [np.zeros(SAMPLE_RATE, np.float32), a, np.zeros(4 * SAMPLE_RATE, np.float32)]
                ),
                1.0 + last_word,
            )
        )
    vads: dict[str, object] = {f"webrtcvad({m})": (lambda m=m: WebRtcVad(m)) for m in (1, 2, 3)}
    vads["silero(0.5)"] = lambda: SileroVad()
    rng = np.random.default_rng(0)
    conditions = [("clean", None, 0.0)] + [
        (f"{k} {db:.0f} dBFS", k, db) for k in ("white", "pink", "hum") for db in (-50.0, -40.0)
    ]
    print(
        "10 FLEURS utterances (peaks near -12 dBFS), each with 1 s before and 4 s after; "
        "end rule: 2.5 s of silence"
    )
    print(
        "cell: answers ended correctly / 10 · median seconds from the last word to the end · "
        "noise-only frames called speech"
    )
    print(f"{'condition':<16}" + "".join(f"{n:>26}" for n in vads))
    cpu: dict[str, list[float]] = {n: [] for n in vads}
    for label, kind, db in conditions:
        row = f"{label:<16}"
        for name, make in vads.items():
            ok, delays = 0, []
            for audio, last in clips:
                x = audio if kind is None else audio + noise(kind, len(audio), db, rng)
                end, c = end_of_answer(make, x)
                cpu[name].append(c)
                if end is not None and last <= end <= last + 3.5:
                    ok += 1
                    delays.append(end - last)
            alone = np.zeros(20 * SAMPLE_RATE, np.float32)
            if kind is not None:
                alone = noise(kind, len(alone), db, rng)
            fs = false_speech(make, alone)
            med = f"{np.median(delays):.2f}s" if delays else "-"
            row += f"{ok:>9}/10 {med:>7} {fs:>6.1%}"
        print(row)
    print(
        "CPU per second of audio: " + ", ".join(f"{n} {np.mean(c):.2f} ms" for n, c in cpu.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
