"""The microphone check: a few seconds of the candidate saying one sentence, measured.

:func:`analyse` is pure (audio in, figures and a verdict out); :func:`record_check`
takes any :class:`~mockint.sound.devices.Recorder` and
:class:`~mockint.hearing.transcribe.Transcriber`.
A passed check is remembered per input device in ``mic-check.json`` in the data
directory, so practice asks once, not every session.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mockint.sound.audio import SAMPLE_RATE

SENTENCE = "I am ready for my interview today."
SECONDS = 5.0
GRACE = 5.0  # seconds a recorder may lag behind before the check ends with what came

FRAME = 0.02  # seconds per level frame
FLOOR_DB = -100.0  # what digital silence reads as
# the thresholds of the verdicts, dBFS (RMS of 20 ms frames; a full-scale sine is -3)
NO_SIGNAL_PEAK = -60.0  # loudest sample below this: nothing is reaching us
CLIP_LEVEL = 0.98  # a sample this close to full scale counts as clipped
CLIP_SHARE = 0.001  # clipped when more than this share of samples is
QUIET_SPEECH = -40.0  # speech (the loud frames) below this is too quiet
NOISY_FLOOR = -45.0  # the quiet frames above this: a noisy room (or a noisy input)
MIN_SNR = 20.0  # speech must stand this far above the noise floor

FIXES = {
    "ok": "microphone OK",
    "no signal": "no signal: wrong device? see 'mockint devices' (or --input-device)",
    "clipping": "clipping: lower the input gain or move back from the microphone",
    "too quiet": "too quiet: move closer or raise the input gain",
    "noisy": "noisy room: move somewhere quieter, or closer to the microphone",
    "no words": f'no words heard: say "{SENTENCE}" while the meter moves',
}


@dataclass(frozen=True)
class MicCheck:
    """What the check measured and its verdict (one of :data:`FIXES`)."""

    level_db: float  # speech level: the 95th percentile of frame RMS
    peak_db: float  # the loudest sample
    clipped: float  # share of samples at full scale
    noise_db: float  # noise floor: the 10th percentile of frame RMS
    verdict: str
    heard: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "ok"

    @property
    def line(self) -> str:
        """The verdict with its fix, one line."""
        return FIXES[self.verdict]

    def figures(self) -> str:
        """The measures in plain words."""
        return (
            f"speech {self.level_db:.0f} dBFS · peak {self.peak_db:.0f} dBFS"
            f" · noise floor {self.noise_db:.0f} dBFS · clipped {self.clipped:.2%}"
        )


def db(x: float) -> float:
    """dBFS of an amplitude (digital silence reads as :data:`FLOOR_DB`)."""
    return max(FLOOR_DB, 20 * float(np.log10(max(x, 1e-10))))


def rms_db(block: np.ndarray) -> float:
    """dBFS of a block's RMS (the live level meters)."""
    if not len(block):
        return FLOOR_DB
    return db(float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))))


def frame_levels(audio: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """dBFS of each 20 ms frame's RMS."""
    n = max(1, int(FRAME * sr))
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    if not len(frames):
        return np.array([FLOOR_DB])
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return np.maximum(FLOOR_DB, 20 * np.log10(np.maximum(rms, 1e-10)))


def analyse(audio: np.ndarray, heard: str | None = None, sr: int = SAMPLE_RATE) -> MicCheck:
    """Measure a check recording and give the verdict; ``heard`` is its transcript
    (None: not transcribed, so words are not judged)."""
    a = np.nan_to_num(np.asarray(audio, dtype=np.float32))
    levels = frame_levels(a, sr)
    peak = float(np.max(np.abs(a))) if len(a) else 0.0
    clipped = float(np.mean(np.abs(a) >= CLIP_LEVEL)) if len(a) else 0.0
    level, noise = float(np.percentile(levels, 95)), float(np.percentile(levels, 10))
    if db(peak) < NO_SIGNAL_PEAK:
        verdict = "no signal"
    elif clipped > CLIP_SHARE:
        verdict = "clipping"
    elif level < QUIET_SPEECH:
        verdict = "too quiet"
    elif noise > NOISY_FLOOR or level - noise < MIN_SNR:
        verdict = "noisy"
    elif heard is not None and not heard.strip():
        verdict = "no words"
    else:
        verdict = "ok"
    return MicCheck(
        round(level, 1),
        round(db(peak), 1),
        round(clipped, 5),
        round(noise, 1),
        verdict,
        heard or "",
    )


def record_check(
    recorder: Any,
    transcriber: Any,
    seconds: float = SECONDS,
    on_level: Callable[[float, float], bool] | None = None,
) -> MicCheck | None:
    """Record ``seconds`` from ``recorder``, transcribe and analyse them.

    ``on_level(elapsed, level_db)`` is called ~10 times a second; when it returns
    True the check is skipped (None). It is called while no audio comes too (the
    level then reads as :data:`FLOOR_DB`), and a recorder that stays silent past
    ``seconds`` plus :data:`GRACE` ends the check with what came ("no signal").
    """
    blocks: list[np.ndarray] = []
    got = 0
    last = -1.0
    recorder.start()
    deadline = time.monotonic() + seconds + GRACE
    try:
        while got < seconds * SAMPLE_RATE:
            block = recorder.read(0.05)
            if block is None:
                if on_level is not None and on_level(got / SAMPLE_RATE, FLOOR_DB):
                    return None
                if time.monotonic() > deadline:
                    break
                continue
            blocks.append(block)
            got += len(block)
            elapsed = got / SAMPLE_RATE
            if on_level is not None and elapsed - last >= 0.1:
                last = elapsed
                if on_level(elapsed, rms_db(block)):
                    return None
    finally:
        recorder.stop()
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    heard = transcriber.transcribe(audio).text if transcriber is not None else None
    return analyse(audio, heard)


def remembered(path: Path, device: str) -> bool:
    """Whether a check on ``device`` passed before (``path`` is ``mic-check.json``)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get(device, {}).get("verdict") == "ok"


def remember(path: Path, device: str, check: MicCheck) -> None:
    """Keep a check's result for ``device`` (a passed one means no check next session)."""
    from mockint.config import write_atomic

    try:
        data = json.loads(path.read_text())
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data[device] = {**asdict(check), "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_atomic(path, json.dumps(data, indent=1).encode(), follow=False)
