"""Speech to text: the Transcriber protocol, its result, and the Whisper adapter.

``WhisperTranscriber.transcribe(audio)`` takes 16 kHz mono float32 audio and
returns a :class:`Transcript` with segment and word times. The model is loaded
once, on first use, from a prepared checkpoint (see :mod:`mockint.models`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from mockint.models import DEFAULT_WHISPER


@dataclass(frozen=True)
class Word:
    """One recognised word and where it lies in the audio (seconds)."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    """A stretch of speech Whisper decoded as a unit."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What was said: the text, its segments and words with times."""

    text: str
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "duration": round(self.duration, 3),
            "segments": [
                {"text": s.text, "start": round(s.start, 2), "end": round(s.end, 2)}
                for s in self.segments
            ],
            "words": [
                {
                    "text": w.text,
                    "start": round(w.start, 2),
                    "end": round(w.end, 2),
                    "probability": round(w.probability, 3),
                }
                for w in self.words
            ],
        }


class Transcriber(Protocol):
    """Anything that turns 16 kHz mono float32 audio into a Transcript."""

    name: str

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...


@dataclass(frozen=True)
class WhisperOptions:
    """How Whisper decodes an answer."""

    # prepared model name: "tiny.en" or "base"
    model: str = DEFAULT_WHISPER
    # answers are in English; also skips language detection
    language: str = "en"
    # torch CPU threads; one was measured stable, two collapsed under load
    threads: int = 1
    # per-word times, from cross-attention alignment (delivery needs them)
    word_timestamps: bool = True
    # text that primes the decoder (e.g. to keep fillers); None for none
    initial_prompt: str | None = None
    # greedy decoding at temperature 0, falling back only on decode failure
    temperatures: tuple[float, ...] = field(default=(0.0,))


class WhisperTranscriber:
    """openai-whisper on the CPU, fp32, loaded by path from ``models/``."""

    def __init__(
        self,
        options: WhisperOptions | None = None,
        on_status: Callable[[str], None] | None = None,
    ):
        self.options = options or WhisperOptions()
        self.name = f"whisper-{self.options.model}"
        self.sha256: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()
        self._on_status = on_status or (lambda _m: None)

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on first use)."""
        with self._lock:
            if self._model is None:
                import torch

                from mockint.models import load_whisper

                torch.set_num_threads(max(1, self.options.threads))
                self._on_status(f"Loading Whisper {self.options.model}…")
                self._model, self.sha256 = load_whisper(self.options.model)
                if self.options.word_timestamps:
                    # numba compiles whisper's DTW on first use (~2 s): do it now, not
                    # while the candidate waits for the first answer's result.
                    from whisper.timing import dtw_cpu

                    dtw_cpu(np.zeros((4, 6), dtype=np.float64))
            return self._model

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """Transcribe 16 kHz mono float32 audio; ``prompt`` is text said just before."""
        model = self.load()
        import whisper

        audio = np.asarray(audio, dtype=np.float32)
        duration = len(audio) / 16000
        if duration < 0.1 or not np.any(audio):
            return Transcript("", duration=duration)
        o = self.options
        with self._lock:
            result = whisper.transcribe(
                model,
                audio,
                language=o.language,
                temperature=o.temperatures,
                fp16=False,
                word_timestamps=o.word_timestamps,
                initial_prompt=" ".join(p for p in (o.initial_prompt, prompt) if p) or None,
                condition_on_previous_text=True,
                verbose=None,
            )
        segments = []
        words = []
        for s in result["segments"]:
            segments.append(Segment(s["text"].strip(), float(s["start"]), float(s["end"])))
            for w in s.get("words", []):
                words.append(
                    Word(
                        w["word"].strip(),
                        float(w["start"]),
                        float(w["end"]),
                        float(w.get("probability", 1.0)),
                    )
                )
        return Transcript(str(result["text"]).strip(), tuple(segments), tuple(words), duration)


def shifted(t: Transcript, offset: float) -> Transcript:
    """The same transcript with every time moved by ``offset`` seconds."""
    return Transcript(
        t.text,
        tuple(Segment(s.text, s.start + offset, s.end + offset) for s in t.segments),
        tuple(Word(w.text, w.start + offset, w.end + offset, w.probability) for w in t.words),
        t.duration,
    )


def joined(parts: list[Transcript], duration: float) -> Transcript:
    """One transcript from consecutive phrase transcripts (already shifted)."""
    return Transcript(
        " ".join(p.text for p in parts if p.text).strip(),
        tuple(s for p in parts for s in p.segments),
        tuple(w for p in parts for w in p.words),
        duration,
    )


class PhraseTranscriber:
    """Transcribes phrases in a worker thread while the candidate goes on speaking.

    Submit each phrase as the endpointer cuts it; :meth:`finish` waits for the
    rest and returns the joined transcript. Phrases are not primed with the
    text before them by default: with tiny.en that prompt set off repetition
    loops (WER on FLEURS phrases rose from 5% to 20%).
    """

    def __init__(self, transcriber: Transcriber, prompt_chars: int = 0):
        self.transcriber = transcriber
        self.prompt_chars = prompt_chars
        self._q: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._parts: list[Transcript] = []
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._work, name="transcriber", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                break
            audio, offset = item
            if self._error is not None:
                continue
            try:
                prompt = None
                if self.prompt_chars:
                    prompt = " ".join(p.text for p in self._parts)[-self.prompt_chars :] or None
                t = self.transcriber.transcribe(audio, prompt=prompt)
                self._parts.append(shifted(t, offset))
            except BaseException as e:  # surfaced by finish()
                self._error = e
        self._done.set()

    def submit(self, audio: np.ndarray, offset: float) -> None:
        """Queue a phrase that starts ``offset`` seconds into the answer."""
        self._q.put((np.asarray(audio, dtype=np.float32), offset))

    @property
    def text(self) -> str:
        """What has been transcribed so far."""
        return " ".join(p.text for p in list(self._parts) if p.text)

    def finish(self, duration: float, timeout: float | None = None) -> Transcript:
        """Wait for every queued phrase; return the whole transcript."""
        self._q.put(None)
        if not self._done.wait(timeout):
            raise TimeoutError("transcription did not finish in time")
        if self._error is not None:
            raise self._error
        return joined(self._parts, duration)
