"""Audio files: read, check, resample, write.

The one internal format is 16 kHz mono float32 (``SAMPLE_RATE``). Files are read
with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus; no ffmpeg).
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import struct
import time
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16000
FORMATS = "WAV, FLAC or OGG"


class AudioError(Exception):
    """An audio file that cannot be used; the message names the file."""


def _check_wav_length(path: Path, head: bytes, size: int) -> None:
    """libsndfile reads a cut-off WAV without complaint: compare its data chunk to the file."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    pos = 12
    while pos + 8 <= len(head):
        cid, clen = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if cid == b"data":
            # 0 and 0xFFFFFFFF are written by streaming recorders that never finalised.
            if clen not in (0, 0xFFFFFFFF) and pos + 8 + clen > size:
                raise AudioError(
                    f"{path}: truncated WAV: the header promises {clen} bytes of audio but the "
                    f"file holds {size - pos - 8}; record or export it again"
                )
            return
        pos += 8 + clen + (clen & 1)


def load_audio(path: str | Path) -> np.ndarray:
    """Read an audio file as 16 kHz mono float32 in [-1, 1].

    Any sample rate; stereo is averaged to mono. Raises :class:`AudioError` for a
    missing, empty, truncated or non-audio file.
    """
    import soundfile as sf

    p = Path(path)
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise AudioError(f"{p}: no such file") from None
    except OSError as e:
        raise AudioError(f"{p}: cannot read: {e.strerror}") from e
    if size == 0:
        raise AudioError(f"{p}: the file is empty; record the answer again")
    _check_wav_length(p, head, size)
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except sf.LibsndfileError as e:
        detail = str(e).replace(f"Error opening '{p}': ", "").rstrip(".")
        raise AudioError(f"{p}: not a readable audio file ({detail}); use {FORMATS}") from e
    if data.shape[0] == 0:
        raise AudioError(f"{p}: the file holds no audio; record the answer again")
    return resample(data.mean(axis=1), int(sr))


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


# --- devices ---------------------------------------------------------------------------


class DeviceError(Exception):
    """No usable audio device, or it failed; the message says how to fix it."""


def import_sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio into a clear DeviceError."""
    try:
        import sounddevice as sd
    except OSError as e:  # "PortAudio library not found"
        raise DeviceError(
            f"{e}: install it with 'sudo apt-get install libportaudio2' (or run 'make setup')"
        ) from e
    except ImportError as e:
        raise DeviceError(f"sounddevice is not installed ({e}): run 'make setup'") from e
    return sd


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    samplerate: float
    default_input: bool
    default_output: bool


def list_devices() -> list[Device]:
    """Every PortAudio device, with the defaults marked."""
    sd = import_sounddevice()
    din, dout = sd.default.device
    return [
        Device(
            i,
            str(d["name"]),
            int(d["max_input_channels"]),
            int(d["max_output_channels"]),
            float(d["default_samplerate"]),
            i == din,
            i == dout,
        )
        for i, d in enumerate(sd.query_devices())
    ]


def _check_device(sd: Any, device: int | str | None, kind: str) -> None:
    flag = "--input-device" if kind == "input" else "--output-device"
    try:
        sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as e:
        what = f"no {kind} device" if device is None else f"no {kind} device matching '{device}'"
        hint = "connect a microphone" if kind == "input" else "connect speakers or headphones"
        raise DeviceError(
            f"{what} ({e}): {hint}, or pick one with {flag} (see 'mockint devices')"
        ) from None


def check_input_device(sd: Any, device: int | str | None) -> None:
    """Raise DeviceError unless ``device`` (None: the default) can record."""
    _check_device(sd, device, "input")


def check_output_device(sd: Any, device: int | str | None) -> None:
    """Raise DeviceError unless ``device`` (None: the default) can play."""
    _check_device(sd, device, "output")


# --- recording ----------------------------------------------------------------------------


class Recorder(Protocol):
    """A microphone: 16 kHz mono float32 blocks, pulled as they arrive."""

    def start(self) -> None: ...

    def read(self, timeout: float) -> np.ndarray | None:
        """The next block, or None if none arrived within ``timeout``; DeviceError if gone."""

    def stop(self) -> None: ...


class SoundDeviceRecorder:
    """A PortAudio input stream (via sounddevice), resampled to 16 kHz if need be."""

    def __init__(self, device: int | str | None = None, block_seconds: float = 0.03):
        self.device = device
        self.block_seconds = block_seconds
        self._q: queue.Queue[np.ndarray] = queue.Queue()
        self._stream: Any = None
        self._rate = SAMPLE_RATE
        self._last = 0.0
        self.overflows = 0

    def _callback(self, indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        self._q.put(indata[:, 0].copy())

    def check(self) -> None:
        """Fail early, with the fix, if there is no such input device."""
        check_input_device(import_sounddevice(), self.device)

    def start(self) -> None:
        sd = import_sounddevice()
        check_input_device(sd, self.device)
        for rate in (SAMPLE_RATE, None):
            try:
                if rate is None:
                    rate = int(sd.query_devices(self.device, "input")["default_samplerate"])
                self._stream = sd.InputStream(
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=int(rate * self.block_seconds),
                    device=self.device,
                    callback=self._callback,
                )
                self._rate = rate
                break
            except sd.PortAudioError as e:
                if rate != SAMPLE_RATE:
                    raise DeviceError(
                        f"cannot open the input device ({e}): check it with 'mockint devices'"
                    ) from e
        self._stream.start()
        self._last = time.monotonic()

    def read(self, timeout: float) -> np.ndarray | None:
        try:
            block = self._q.get(timeout=timeout)
        except queue.Empty:
            gone = self._stream is None or not self._stream.active
            if gone or time.monotonic() - self._last > 2.0:
                raise DeviceError(
                    "the input device stopped delivering audio (unplugged?): reconnect it "
                    "and run 'mockint practice --resume'"
                ) from None
            return None
        self._last = time.monotonic()
        return resample(block, self._rate) if self._rate != SAMPLE_RATE else block

    def stop(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.stop()
                self._stream.close()
            self._stream = None


class ArrayRecorder:
    """Feeds audio from an array (then silence) as if a microphone heard it.

    The microphone seam for tests: blocks come as fast as they are read.
    """

    def __init__(self, audio: np.ndarray, block: int = 480):
        self.audio = np.asarray(audio, dtype=np.float32)
        self.block = block
        self._pos = 0

    def start(self) -> None:
        self._pos = 0

    def read(self, timeout: float) -> np.ndarray | None:
        out = self.audio[self._pos : self._pos + self.block]
        if len(out) < self.block:
            out = np.concatenate([out, np.zeros(self.block - len(out), np.float32)])
        self._pos += self.block
        return out

    def stop(self) -> None:
        return None


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


# --- voice activity ------------------------------------------------------------------------


class VoiceDetector(Protocol):
    """Says whether one 30 ms frame (480 samples at 16 kHz) holds speech."""

    def is_speech(self, frame: np.ndarray) -> bool: ...


class WebRtcVad:
    """webrtcvad (GMM, ~0.15 ms CPU per second of audio) with an energy floor."""

    def __init__(self, aggressiveness: int = 2, floor_dbfs: float = -70.0):
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self._floor = 10 ** (floor_dbfs / 20)

    def is_speech(self, frame: np.ndarray) -> bool:
        if float(np.sqrt(np.mean(frame**2))) < self._floor:
            return False
        pcm = (np.clip(frame, -1, 1) * 32767).astype("<i2").tobytes()
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))


class SileroVad:
    """Silero VAD (v6 ONNX, from the silero-vad wheel) on onnxruntime, without torch.

    Chosen over webrtcvad by bench/vad.py: on real speech it ended 69 of 70 answers
    correctly against webrtcvad's 48-54 (webrtcvad missed quiet trailing words
    and cut answers short), for ~6 ms CPU per second of audio.
    """

    def __init__(self, threshold: float = 0.5):
        self._sess = _silero_session()  # loaded and checked once; state is per answer
        self.threshold = threshold
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros(64, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._sr = np.array(SAMPLE_RATE, np.int64)
        self.probability = 0.0

    def is_speech(self, frame: np.ndarray) -> bool:
        # The model takes 512-sample chunks (plus 64 of context); frames are 480.
        self._pending = np.concatenate([self._pending, frame.astype(np.float32)])
        while len(self._pending) >= 512:
            chunk, self._pending = self._pending[:512], self._pending[512:]
            x = np.concatenate([self._context, chunk])[None, :]
            out, self._state = self._sess.run(
                None, {"input": x, "state": self._state, "sr": self._sr}
            )
            self._context = chunk[-64:]
            self.probability = float(np.asarray(out).reshape(-1)[0])
        return self.probability >= self.threshold


@functools.lru_cache(maxsize=1)
def _silero_session() -> Any:
    from mockint.models import ModelError, sha256_file, silero_vad_path

    path = silero_vad_path()
    if sha256_file(path) != SILERO_SHA256:
        raise ModelError(
            f"{path}: not the expected Silero VAD model: "
            "pip install --force-reinstall --no-deps silero-vad==6.2.3"
        )
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise ModelError(f"onnxruntime is not installed ({e}): run 'make setup'") from e
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


# sha256 of silero_vad/data/silero_vad.onnx in silero-vad 6.2.3
SILERO_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"


def default_vad() -> VoiceDetector:
    """The voice detector practice uses: Silero VAD."""
    return SileroVad()


FRAME = 480  # 30 ms at 16 kHz


@dataclass(frozen=True)
class EndpointOptions:
    """When speech starts, when a phrase ends, when the answer is over."""

    # silence (s) after speech that ends the answer
    silence: float = 2.5
    # silence (s) that ends a phrase (sent to transcription while the candidate goes on)
    phrase_pause: float = 0.6
    # speech must fill this many of the last `onset_window` frames to count as started
    onset_frames: int = 8
    onset_window: int = 12
    # a phrase is not cut shorter than this (s): Whisper does better with context
    min_phrase: float = 2.0
    # past this length (s) a short pause (0.25 s) is enough to cut
    long_phrase: float = 5.0
    # at this length (s) the phrase is cut at its quietest 30 ms of the last 1.5 s, pause
    # or not: the tail left when the answer ends must be transcribed within the silence
    max_phrase: float = 10.0


@dataclass(frozen=True)
class Endpoint:
    """An event from :class:`Endpointer`: kind is 'speech', 'phrase' or 'end'; at is a sample."""

    kind: str
    at: int


class Endpointer:
    """Voice-activity endpointing over 30 ms frames (pure: frames in, events out).

    The end-of-answer silence rule starts only once speech has begun.
    """

    def __init__(self, vad: VoiceDetector, options: EndpointOptions | None = None):
        self.vad = vad
        self.o = options or EndpointOptions()
        self._pending = np.zeros(0, np.float32)
        self._pos = 0  # samples consumed
        self._recent: list[bool] = []
        self._rms: list[float] = []  # per frame, the last 2 s
        self.started = False
        self.speech_start = 0
        self.last_voiced = 0  # end sample of the last voiced frame
        self.phrase_start = 0
        self._phrase_cut = True  # no phrase open
        self.ended = False

    def feed(self, block: np.ndarray) -> list[Endpoint]:
        """Consume audio; return the events it caused."""
        events: list[Endpoint] = []
        buf = np.concatenate([self._pending, block]) if len(self._pending) else block
        n = len(buf) // FRAME * FRAME
        self._pending = buf[n:].copy()
        for i in range(0, n, FRAME):
            frame = buf[i : i + FRAME]
            voiced = self.vad.is_speech(frame)
            self._pos += FRAME
            self._rms.append(float(np.sqrt(np.mean(frame**2))))
            if len(self._rms) > 67:
                self._rms.pop(0)
            self._recent.append(voiced)
            if len(self._recent) > self.o.onset_window:
                self._recent.pop(0)
            if voiced:
                self.last_voiced = self._pos
            if not self.started:
                if sum(self._recent) >= self.o.onset_frames:
                    self.started = True
                    back = self.o.onset_window * FRAME
                    self.speech_start = max(0, self._pos - back)
                    self.phrase_start = max(0, self.speech_start - int(0.2 * SAMPLE_RATE))
                    self._phrase_cut = False
                    events.append(Endpoint("speech", self.speech_start))
                continue
            if self.ended:
                continue
            if voiced and self._phrase_cut:
                self._phrase_cut = False
            silent = (self._pos - self.last_voiced) / SAMPLE_RATE
            length = (self.last_voiced - self.phrase_start) / SAMPLE_RATE
            cut = -1
            if not self._phrase_cut:
                if (silent >= self.o.phrase_pause and length >= self.o.min_phrase) or (
                    silent >= 0.25 and length >= self.o.long_phrase
                ):
                    cut = min(self._pos, self.last_voiced + int(min(0.3, silent / 2) * SAMPLE_RATE))
                elif self._pos - self.phrase_start >= self.o.max_phrase * SAMPLE_RATE:
                    # the quietest frame of the last 1.5 s (not the newest 0.1 s)
                    window = self._rms[-50:-3]
                    k = int(np.argmin(window))
                    cut = self._pos - (len(window) + 3 - k) * FRAME + FRAME // 2
            if cut >= 0:
                events.append(Endpoint("phrase", cut))
                self.phrase_start = cut
                self._phrase_cut = True
            if silent >= self.o.silence:
                self.ended = True
                events.append(Endpoint("end", self._pos))
        return events

    @property
    def position(self) -> int:
        return self._pos

    @property
    def in_pause(self) -> bool:
        """No speech in the last 0.3 s."""
        return self._pos - self.last_voiced > int(0.3 * SAMPLE_RATE)
