"""Speech to text: the Transcriber protocol, its result, and the Whisper adapter.

``WhisperTranscriber.transcribe(audio)`` takes 16 kHz mono float32 audio and
returns a :class:`Transcript` with segment and word times. The model is loaded
once, on first use, from a prepared checkpoint (see :mod:`mockint.models`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from mockint.models import DEFAULT_WHISPER
from mockint.transcript import Segment, Transcript, Word


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
