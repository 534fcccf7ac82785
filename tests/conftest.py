"""Shared fixtures: an isolated data directory, a fake embedder, the real models."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mockint.bank import Bank, load_file
from mockint.grading.grade import Embedder, Tokens

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
FLEURS = DATA / "fleurs-en"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own MOCKINT_HOME; shipped banks and prepared models stay visible."""
    h = tmp_path / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    return h


class HashingEmbedder(Embedder):
    """A real Embedder without a model: each lower-cased word is a token whose vector is
    fixed by the word's hash (near-orthogonal to other words', context ignored).

    Enough to test grading logic: identical texts score 1, unrelated ones near 0.
    """

    name = "hashing-test-embedder"
    sha256 = None

    def __init__(self, dims: int = 512):
        self.dims = dims

    def _vector(self, word: str) -> np.ndarray:
        seed = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
        v = np.random.default_rng(seed).standard_normal(self.dims).astype(np.float32)
        return v / np.linalg.norm(v)

    def tokens(self, texts: Sequence[str]) -> list[Tokens]:
        out = []
        for t in texts:
            found = list(re.finditer(r"[a-z0-9']+", t.lower()))
            vecs = np.array([self._vector(m.group()) for m in found], dtype=np.float32)
            offs = np.array([(m.start(), m.end()) for m in found], dtype=int)
            out.append(Tokens(vecs.reshape(len(found), self.dims), offs.reshape(len(found), 2)))
        return out


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def resume_bank() -> Bank:
    return load_file(ROOT / "bank" / "resume.toml")


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    from mockint.grading.embed import MiniLMEmbedder

    e = MiniLMEmbedder()
    e.load()
    return e


@pytest.fixture(scope="session")
def transcriber():  # type: ignore[no-untyped-def]
    """The real converted Whisper tiny.en, loaded once for the whole run."""
    from mockint.hearing.transcribe import WhisperTranscriber

    t = WhisperTranscriber()
    t.load()
    return t


def espeak(text: str, path: Path, voice: str = "en-us", wpm: int = 160) -> Path:
    """Render text to a WAV with espeak-ng (a real synthetic voice)."""
    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is not installed: run 'make test' (it installs it)"
    subprocess.run([exe, "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
    return path


def fleurs() -> list[tuple[Path, str]]:
    """The FLEURS utterances shipped in tests/data, with their reference transcripts."""
    return [(p, p.with_suffix(".txt").read_text()) for p in sorted(FLEURS.glob("*.ogg"))]


def joined_fleurs(gap: float = 1.0) -> tuple[np.ndarray, str]:
    """The FLEURS utterances as one long answer with pauses, at one speaking level.

    Each clip is scaled to the same loudness (one candidate at one microphone, not
    ten recordings whose levels differ by 45 dB) and its leading and trailing
    silence trimmed (some clips hold 2 s of it), so the pauses are the ``gap``.
    """
    from mockint.sound.audio import load_audio

    parts, refs = [], []
    for path, ref in fleurs():
        a = load_audio(path)
        # the same level: the 99.9th percentile of |x| at -6 dBFS (robust to one click)
        a = np.clip(a * (0.5 / max(float(np.percentile(np.abs(a), 99.9)), 1e-6)), -1, 1)
        loud = np.nonzero(np.abs(a) > 0.05)[0]
        a = a[max(0, loud[0] - 1600) : loud[-1] + 1600]
        parts += [a, np.zeros(int(gap * 16000), np.float32)]
        refs.append(ref)
    return np.concatenate(parts), " ".join(refs)


class Pressed:
    """Keys for ConsoleUI, pressed in this order (``wait`` takes the next; none is ever
    pressed while something runs)."""

    def __init__(self, *keys: str):
        self.keys = list(keys)

    def wait(self) -> str:
        return self.keys.pop(0)

    def poll(self) -> None:
        return None

    def close(self) -> None:
        pass
