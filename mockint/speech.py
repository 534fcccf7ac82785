"""Text to speech: the Speaker protocol and the pyttsx3 (espeak-ng) adapter.

pyttsx3 2.99 on Linux is unreliable about blocking: ``say()`` may return while
audio still plays (or drop it), raises nothing without an output device, and
``save_to_file`` sometimes returns before the WAV exists or leaves it empty. So
:class:`Pyttsx3Speaker` synthesises to a WAV, waits for the file to hold frames
(retrying), and plays it with sounddevice, which blocks and raises properly.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mockint.devices import play
from mockint.errors import SpeechError


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


class Speaker(Protocol):
    """Anything that can say a question aloud (blocking until it has been heard)."""

    def say(self, text: str, on_start: Callable[[], None] | None = None) -> None:
        """Speak ``text``, blocking; ``on_start`` is called as the sound begins."""


@dataclass(frozen=True)
class SpeechOptions:
    """How questions are spoken."""

    # pyttsx3 voice id or name (e.g. "gmw/en-us"); None picks an English voice
    voice: str | None = None
    # words per minute
    rate: int = 165
    # PortAudio output device (index or name); None for the default
    output_device: int | str | None = None
    # seconds to wait for a synthesised file before retrying
    timeout: float = 5.0


class SilentSpeaker:
    """``--no-tts``: the question is only shown."""

    def say(self, text: str, on_start: Callable[[], None] | None = None) -> None:
        return None


_ENGINE_HELP = (
    "no text-to-speech engine: install espeak-ng (sudo apt-get install libespeak-ng1 espeak-ng) "
    "or run with --no-tts"
)


class Pyttsx3Speaker:
    """pyttsx3's espeak driver: synthesise to WAV, then play with sounddevice."""

    def __init__(self, options: SpeechOptions | None = None):
        self.options = options or SpeechOptions()
        self._engine: Any = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._tmp = Path(tempfile.mkdtemp(prefix="mockint-tts-"))

    def _init(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3

                engine = pyttsx3.init("espeak")
            except ImportError as e:
                raise SpeechError(f"pyttsx3 is not installed ({e}): run 'make setup'") from e
            except (RuntimeError, OSError) as e:
                raise SpeechError(_ENGINE_HELP) from e
            engine.connect("finished-utterance", lambda name, completed: self._done.set())
            engine.setProperty("rate", self.options.rate)
            engine.setProperty("voice", self._pick_voice(engine))
            self._engine = engine
        return self._engine

    def _pick_voice(self, engine: Any) -> str:
        voices = engine.getProperty("voices")
        want = self.options.voice
        if want:
            for v in voices:
                if want in (v.id, v.name) or want.casefold() == str(v.name).casefold():
                    return str(v.id)
            raise SpeechError(f"no voice '{want}': see 'mockint voices'")
        for pref in ("gmw/en-us", "gmw/en"):
            for v in voices:
                if v.id == pref:
                    return str(v.id)
        return str(engine.getProperty("voice"))

    def voices(self) -> list[Voice]:
        """The voices the engine offers."""
        with self._lock:
            engine = self._init()
            return [
                Voice(str(v.id), str(v.name), tuple(str(x) for x in (v.languages or [])))
                for v in engine.getProperty("voices")
            ]

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Render text to mono float32 audio and its sample rate."""
        import soundfile as sf

        with self._lock:
            engine = self._init()
            for attempt in range(3):
                out = self._tmp / f"q{attempt}.wav"
                out.unlink(missing_ok=True)
                self._done.clear()
                # pyttsx3 prints "Audio saved to ..." on stdout: keep the screen ours.
                with contextlib.redirect_stdout(io.StringIO()):
                    engine.save_to_file(text, str(out))
                    engine.runAndWait()
                self._done.wait(self.options.timeout)
                deadline = time.monotonic() + self.options.timeout
                while time.monotonic() < deadline:
                    try:
                        if out.is_file() and sf.info(str(out)).frames > 0:
                            data, sr = sf.read(str(out), dtype="float32", always_2d=True)
                            if len(data):
                                return data.mean(axis=1), int(sr)
                    except RuntimeError:
                        pass  # header not written yet
                    time.sleep(0.02)
        raise SpeechError("the text-to-speech engine produced no audio three times: try --no-tts")

    def say(self, text: str, on_start: Callable[[], None] | None = None) -> None:
        """Speak ``text`` and return when it has been played."""
        audio, sr = self.synthesize(text)
        if on_start is not None:
            on_start()
        play(audio, sr, self.options.output_device)


def list_voices() -> list[Voice]:
    """The voices questions can be spoken in (``--voice``)."""
    return Pyttsx3Speaker().voices()


def check_speaker(speaker: Pyttsx3Speaker) -> None:
    """Fail early, with the fix, if the TTS engine or the output device is missing."""
    from mockint.devices import check_output_device, import_sounddevice

    speaker._init()
    check_output_device(import_sounddevice(), speaker.options.output_device)
