"""Reading audio files: formats, rates, channels, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mockint.sound.audio import AudioError, load_audio


def tone(sr: int, seconds: float = 1.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("suffix", "kwargs"),
    [(".wav", {}), (".flac", {}), (".ogg", {"format": "OGG", "subtype": "VORBIS"})],
)
@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_any_rate_stereo_becomes_16k_mono(
    tmp_path: Path, suffix: str, kwargs: dict, sr: int
) -> None:
    x = tone(sr)
    stereo = np.stack([x, x], axis=1)
    p = tmp_path / f"a{suffix}"
    sf.write(p, stereo, sr, **kwargs)
    y = load_audio(p)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 16000) < 400  # Opus pads a little
    # still a 440 Hz tone
    spectrum = np.abs(np.fft.rfft(y[2000:14000]))
    assert abs(np.argmax(spectrum) * 16000 / 12000 - 440) < 5


def test_reads_the_shipped_fleurs_opus() -> None:
    y = load_audio(Path(__file__).parent / "data" / "fleurs-en" / "fleurs-en-000.ogg")
    assert 5 < len(y) / 16000 < 20 and np.abs(y).max() > 0.01


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_empty_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "empty.wav", b"")
    with pytest.raises(AudioError, match=r"empty.wav: the file is empty; record the answer again"):
        load_audio(p)


def test_truncated_wav(tmp_path: Path) -> None:
    full = tmp_path / "full.wav"
    sf.write(full, tone(16000), 16000)
    p = _write(tmp_path, "cut.wav", full.read_bytes()[:20000])
    with pytest.raises(AudioError, match=r"cut.wav: truncated WAV"):
        load_audio(p)


@pytest.mark.parametrize("placeholder", [0x7FFFF000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF])
def test_a_wav_streamed_to_a_pipe_is_read_whatever_length_its_header_guessed(
    tmp_path: Path, placeholder: int
) -> None:
    """espeak-ng --stdout and arecord write a placeholder where the length goes."""
    import struct

    full = tmp_path / "full.wav"
    sf.write(full, tone(16000), 16000, subtype="PCM_16")
    data = bytearray(full.read_bytes())
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", placeholder)
    data[4:8] = struct.pack("<I", min(placeholder + 36, 0xFFFFFFFF))
    y = load_audio(_write(tmp_path, "piped.wav", bytes(data)))
    assert abs(len(y) - 16000) < 160 and np.abs(y).max() > 0.1


def test_truncated_flac(tmp_path: Path) -> None:
    full = tmp_path / "full.flac"
    sf.write(full, np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32), 16000)
    p = _write(tmp_path, "cut.flac", full.read_bytes()[:44])
    with pytest.raises(AudioError, match=r"cut.flac: not a readable audio file"):
        load_audio(p)


def test_header_only_wav_has_no_audio(tmp_path: Path) -> None:
    full = tmp_path / "full.wav"
    sf.write(full, tone(16000), 16000)
    p = _write(tmp_path, "hdr.wav", full.read_bytes()[:44])
    with pytest.raises(AudioError, match=r"hdr.wav: (the file holds no audio|truncated WAV)"):
        load_audio(p)


def test_not_audio(tmp_path: Path) -> None:
    p = _write(tmp_path, "notes.wav", b"these are my notes, not a recording\n" * 20)
    with pytest.raises(
        AudioError,
        match=r"notes.wav: not a readable audio file \(Format not recognised\); "
        r"use WAV, FLAC or OGG",
    ):
        load_audio(p)


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"nope.wav: no such file"):
        load_audio(tmp_path / "nope.wav")
