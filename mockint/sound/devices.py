"""Sound hardware: listing and checking devices, the microphone, the speaker.

sounddevice (PortAudio) is imported only when a device is used, so commands that
touch no hardware start at once. :class:`Recorder` is the microphone seam: the
practice loop pulls 16 kHz mono float32 blocks from any object that has it.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mockint.errors import DeviceError
from mockint.sound.audio import SAMPLE_RATE, resample

__all__ = [
    "ArrayRecorder",
    "Device",
    "DeviceError",
    "Recorder",
    "SoundDeviceRecorder",
    "check_input_device",
    "check_output_device",
    "import_sounddevice",
    "list_devices",
    "play",
    "play_stream",
]


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
    except (ValueError, OverflowError, sd.PortAudioError) as e:  # Overflow: index 2**31
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


def play(audio: np.ndarray, sr: int, device: int | str | None = None) -> None:
    """Play mono audio on an output device, blocking until it has been played."""
    sd = import_sounddevice()
    check_output_device(sd, device)
    try:
        sd.play(audio, sr, device=device)
        sd.wait()
    except sd.PortAudioError as e:
        raise DeviceError(
            f"cannot play audio ({e}): check the output device (mockint devices)"
        ) from e


def play_stream(
    chunks: Iterable[np.ndarray],
    sr: int,
    device: int | str | None = None,
    on_start: Callable[[], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Play mono chunks as they come (each may still be computing while the last plays).

    One output stream for all chunks, so there is no gap or click between them;
    blocks until the last has been played, or until ``stop()`` says so (asked every
    quarter second). ``on_start`` is called as the first chunk is handed to the device.
    """
    sd = import_sounddevice()
    check_output_device(sd, device)
    started = False
    try:
        with sd.OutputStream(samplerate=sr, channels=1, dtype="float32", device=device) as out:
            step = max(1, sr // 4)
            for chunk in chunks:
                block = np.ascontiguousarray(chunk, dtype=np.float32).reshape(-1, 1)
                if not started and on_start is not None:
                    on_start()
                started = True
                for i in range(0, len(block), step):
                    if stop is not None and stop():
                        out.abort()  # drop what is buffered: silence now
                        return
                    out.write(block[i : i + step])
            # let the device drain what was written (stream.stop waits for it)
            out.stop()
    except sd.PortAudioError as e:
        raise DeviceError(
            f"cannot play audio ({e}): check the output device (mockint devices)"
        ) from e
