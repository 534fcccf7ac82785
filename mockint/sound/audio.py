"""Audio files: read, check, resample, write; the streaming WAV of a recording.

The one internal format is 16 kHz mono float32 (``SAMPLE_RATE``). Files are read
with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus; no ffmpeg).
"""

from __future__ import annotations

import os
import struct
from math import gcd
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from mockint.errors import AudioError
from mockint.limits import open_regular

SAMPLE_RATE = 16000
# What one answer file may decode to (docs/usage.md, "Limits"): as long as the longest answer
# mockint records (--max-seconds 3600), and no more samples over all channels than an
# hour of 16 kHz mono (230 MB as float32): 10 minutes of 48 kHz stereo.
MAX_SECONDS = 3600
MAX_DECODED_SAMPLES = MAX_SECONDS * SAMPLE_RATE
FORMATS = "WAV, FLAC or OGG"

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "StreamingWav",
    "finalise_recording",
    "load_audio",
    "resample",
    "write_audio",
]


def _check_wav_length(path: Path, head: bytes, size: int) -> None:
    """libsndfile reads a cut-off WAV without complaint: compare its data chunk to the file."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    pos = 12
    while pos + 8 <= len(head):
        cid, clen = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if cid == b"data":
            if _streamed(clen):  # a length the writer could not know: read what is there
                return
            if pos + 8 + clen > size:
                raise AudioError(
                    f"{path}: truncated WAV: the header promises {clen} bytes of audio but the "
                    f"file holds {size - pos - 8}; record or export it again"
                )
            # a header far shorter than the audio after it would silently drop the answer
            # (a recording killed mid-answer lags by half a second at most: that is kept)
            if size - pos - 8 - clen > max(clen, 1 << 20):
                raise AudioError(
                    f"{path}: broken WAV header: it counts {clen} bytes of audio but the file "
                    f"holds {size - pos - 8}; export it again (e.g. sox {path.name} fixed.wav)"
                )
            return
        pos += 8 + clen + (clen & 1)


def _streamed(length: int) -> bool:
    """Whether a WAV's data length is a placeholder, written by a recorder that streamed to
    a pipe or never finalised: 0, or about 2 or 4 GiB (espeak-ng --stdout writes
    0x7FFFF000, arecord 0x7FFFFFFF or 0x80000000, others 0xFFFFFFFF). No answer mockint
    reads comes near 2 GiB (an hour of 48 kHz stereo 16-bit is 0.7 GB)."""
    return length == 0 or length >= 0x7FFF0000


def load_audio(path: str | Path) -> np.ndarray:
    """Read an audio file as 16 kHz mono float32 in [-1, 1].

    Any sample rate; stereo is averaged to mono. Raises :class:`AudioError` for a
    missing, empty, truncated or non-audio file.
    """
    import soundfile as sf

    p = Path(path)
    try:
        with open_regular(p) as f:  # a FIFO or device is refused, never read
            size = os.fstat(f.fileno()).st_size
            head = f.read(4096)
    except FileNotFoundError:
        raise AudioError(f"{p}: no such file") from None
    except OSError as e:
        raise AudioError(f"{p}: cannot read ({e.strerror}): give a {FORMATS} file") from e
    if size == 0:
        raise AudioError(f"{p}: the file is empty; record the answer again")
    _check_wav_length(p, head, size)
    try:
        info = sf.info(str(p))
        mono, sr = _decoded(p, _frames_allowed(p, info))
    except sf.LibsndfileError as e:
        detail = str(e).replace(f"Error opening '{p}': ", "").rstrip(".")
        raise AudioError(f"{p}: not a readable audio file ({detail}); use {FORMATS}") from e
    if mono.shape[0] == 0 and 0 < info.frames < UNKNOWN_FRAMES:  # cut off after its header
        raise AudioError(
            f"{p}: not a readable audio file (its header counts {info.frames} frames, none "
            f"decode); use {FORMATS}"
        )
    if mono.shape[0] == 0:
        raise AudioError(f"{p}: the file holds no audio; record the answer again")
    return resample(mono, sr)


# frames decoded at a time: 2 MB of 8-channel float32
BLOCK_FRAMES = 1 << 16
# the frame count libsndfile gives a file that does not say its length (SF_COUNT_MAX): a
# FLAC whose STREAMINFO counts 0 samples, as a streaming encoder writes it
UNKNOWN_FRAMES = 2**63 - 1


def _decoded(p: Path, allowed: int) -> tuple[np.ndarray, int]:
    """The file's audio mixed down to mono, decoded a block at a time and refused once
    past ``allowed`` frames, whatever its header claimed (so at most the cap's audio is
    held, even when the length is unknown)."""
    parts: list[np.ndarray] = []
    frames = 0
    with _open_unseeking(p) as f:
        sr, channels = int(f.samplerate), int(f.channels)
        while len(block := f.read(BLOCK_FRAMES, dtype="float32", always_2d=True)):
            frames += block.shape[0]
            if frames > allowed:
                _too_long(p, frames, channels, sr, known=f.frames != UNKNOWN_FRAMES)
            if not np.isfinite(block).all():
                raise AudioError(
                    f"{p}: holds invalid samples (NaN or infinity); record or export it again"
                )
            parts.append(block.mean(axis=1))
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), sr


def _open_unseeking(p: Path) -> Any:
    """The file opened to be read straight through: soundfile seeks to where it already
    is after each read, and libsndfile cannot seek in a FLAC of unknown length."""
    import soundfile as sf

    class Unseeking(sf.SoundFile):
        def seekable(self) -> bool:
            return False

    return Unseeking(str(p))


def _frames_allowed(p: Path, info: Any) -> int:
    """How many frames of this file may be decoded: at most MAX_SECONDS long and
    MAX_DECODED_SAMPLES over all its channels (checked before decoding: an 8-channel
    192 kHz FLAC of 1 MB, mostly silence, decodes to 4 GB)."""
    channels, sr = max(int(info.channels), 1), max(int(info.samplerate), 1)
    allowed = min(MAX_SECONDS * sr, MAX_DECODED_SAMPLES // channels)
    if allowed < info.frames < UNKNOWN_FRAMES:  # (unknown: the decoder counts)
        _too_long(p, int(info.frames), channels, sr)
    return allowed


def _too_long(p: Path, frames: int, channels: int, sr: int, known: bool = True) -> NoReturn:
    length = f"{'' if known else 'over '}{frames / sr / 60:.1f} minutes"
    raise AudioError(
        f"{p}: {length} of {channels}-channel {sr} Hz audio is more than "
        f"an answer may hold (an hour of 16 kHz mono, {MAX_DECODED_SAMPLES / 96000 / 60:.0f} "
        "minutes of 48 kHz stereo): cut it or make it mono 16 kHz "
        f"(e.g. sox {p.name} -r 16000 -c 1 answer.flac)"
    )


def resample(x: np.ndarray, sr: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample mono audio to ``target`` Hz (polyphase; exact ratio)."""
    x = np.asarray(x, dtype=np.float32)
    if sr == target:
        return x
    from scipy.signal import resample_poly

    g = gcd(sr, target)
    return resample_poly(x, target // g, sr // g).astype(np.float32)


def write_audio(path: str | Path, audio: np.ndarray, sr: int = SAMPLE_RATE) -> Path:
    """Write mono float32 audio; the format follows the suffix (.wav, .flac, .ogg)."""
    import soundfile as sf

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(p), np.asarray(audio, dtype=np.float32), sr)
    return p


class StreamingWav:
    """A WAV file written as audio arrives, its header kept valid as it grows.

    A killed process leaves a playable file holding everything up to the last
    :meth:`flush` (called about twice a second by :meth:`write`).
    """

    def __init__(self, path: Path, sr: int = SAMPLE_RATE, flush_every: float = 0.5):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sr = sr
        self._f = open(self.path, "wb")  # noqa: SIM115
        self._frames = 0
        self._unflushed = 0
        self._flush_frames = int(sr * flush_every)
        self._header()

    def _header(self) -> None:
        data = self._frames * 2
        self._f.seek(0)
        self._f.write(
            b"RIFF"
            + struct.pack("<I", 36 + data)
            + b"WAVE"
            + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, self.sr, self.sr * 2, 2, 16)
            + b"data"
            + struct.pack("<I", data)
        )
        self._f.seek(0, 2)

    def write(self, block: np.ndarray) -> None:
        pcm = (np.clip(block, -1.0, 1.0) * 32767.0).astype("<i2")
        self._f.write(pcm.tobytes())
        self._frames += len(pcm)
        self._unflushed += len(pcm)
        if self._unflushed >= self._flush_frames:
            self.flush()

    def flush(self) -> None:
        self._header()
        self._f.flush()
        os.fsync(self._f.fileno())
        self._unflushed = 0

    @property
    def seconds(self) -> float:
        return self._frames / self.sr

    def close(self) -> None:
        if not self._f.closed:
            self.flush()
            self._f.close()


def finalise_recording(wav: Path) -> Path:
    """Turn a finished streaming WAV into FLAC beside it (half the size); return the FLAC."""
    import soundfile as sf

    data, sr = sf.read(str(wav), dtype="int16")
    flac = wav.with_suffix(".flac")
    sf.write(str(flac), data, sr, format="FLAC", subtype="PCM_16")
    wav.unlink()
    return flac
