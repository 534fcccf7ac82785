"""Non-speech a microphone hears, made from signal recipes (16 kHz mono float32).

Each is a few seconds of one kind of sound with no words in it: what a
transcriber must turn into an empty transcript.
"""

from __future__ import annotations

import numpy as np

SR = 16000


def _db(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return (x / rms * 10 ** (dbfs / 20)).astype(np.float32)


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.normal(0, 1, n))
    spec /= np.sqrt(np.arange(1, len(spec) + 1))
    return np.fft.irfft(spec, n)


def near_silence(seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """A quiet room through a quiet preamp: white noise at -65 dBFS."""
    return _db(np.random.default_rng(seed).normal(0, 1, int(seconds * SR)), -65)


def room_noise(seconds: float = 6.0, seed: int = 1) -> np.ndarray:
    """Ventilation and traffic: pink noise at -40 dBFS."""
    return _db(_pink(int(seconds * SR), np.random.default_rng(seed)), -40)


def mains_hum(seconds: float = 6.0) -> np.ndarray:
    """50 Hz hum with its odd harmonics, at -30 dBFS."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 3, 5, 7))
    return _db(np.asarray(x), -30)


def keyboard(seconds: float = 6.0, seed: int = 2) -> np.ndarray:
    """Typing: short decaying clicks at irregular intervals over a quiet floor."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1e-4, int(seconds * SR))
    t = 0.2
    while t < seconds - 0.1:
        i = int(t * SR)
        click = rng.normal(0, 1, 240) * np.exp(-np.arange(240) / 30)
        x[i : i + 240] += 0.3 * click
        t += rng.uniform(0.08, 0.35)
    return x.astype(np.float32)


def breathing(seconds: float = 8.0, seed: int = 3) -> np.ndarray:
    """Breaths: band-limited noise swelling and fading every two seconds or so."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[(f < 300) | (f > 2500)] = 0
    x = np.fft.irfft(spec, n)
    env = np.clip(np.sin(2 * np.pi * np.arange(n) / SR / 2.2), 0, None) ** 2
    return _db(x * env, -35)


def cough(seconds: float = 4.0, seed: int = 4) -> np.ndarray:
    """Two coughs: sharp noise bursts with a quick decay, in silence."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1e-4, int(seconds * SR))
    for at in (0.8, 2.3):
        i, m = int(at * SR), int(0.35 * SR)
        burst = rng.normal(0, 1, m) * np.exp(-np.arange(m) / (0.08 * SR))
        x[i : i + m] += 0.5 * burst
    return x.astype(np.float32)


NON_SPEECH = {
    "near silence": near_silence,
    "room noise": room_noise,
    "mains hum": mains_hum,
    "keyboard": keyboard,
    "breathing": breathing,
    "cough": cough,
}
