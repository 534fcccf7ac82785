"""Speech to text: the Transcriber protocol and two Whisper engines.

``transcribe(audio)`` takes 16 kHz mono float32 audio and returns a
:class:`Transcript` with segment and word times. Two engines read the same
Whisper weights: CTranslate2 (faster-whisper, int8, from the weights package
itself: the default, measured faster at the same accuracy in
``bench/transcribe.py``) and openai-whisper (fp32, from the checkpoint that
``mockint models prepare`` converts; the design card's engine and the reference).
Both gate on voice activity (no speech, no transcript), fall back to higher
temperatures (seeded) when a decode looks like a loop, and drop what speech
cannot hold (stray punctuation, n-grams repeated four times or more).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from mockint.models.registry import DEFAULT_WHISPER
from mockint.transcript import Segment, Transcript, clean, spoken_words

if TYPE_CHECKING:
    from mockint.hearing.vocabulary import Hints

# how well the audio just decoded bears out each text: the decoder's log-probability of
# the text given that audio, with no timestamps (natural log)
Scorer = Callable[[Sequence[str]], list[float]]

# nats a ceiling is raised by, for the float noise between two passes of the decoder
CEILING_SLACK = 0.01


@runtime_checkable
class Bounded(Protocol):
    """A scorer that also tells, from a text it has scored, the most other texts could
    score, without a decoder pass (:func:`ceiling`)."""

    def __call__(self, texts: Sequence[str]) -> list[float]: ...

    def ceilings(self, scored: str, texts: Sequence[str]) -> list[float]: ...


def ceiling(heard: Sequence[int], logprobs: Sequence[float], tokens: Sequence[int]) -> float:
    """The most a text of ``tokens`` can score, where the text of ``heard`` tokens scored
    ``logprobs`` (each token's log-probability given those before it). The two score the
    same up to their first different token; there the text's token has at most the
    probability the heard one left, and each later token at most 1. Slack added for float
    noise (:data:`CEILING_SLACK`)."""
    same = 0
    while same < min(len(heard), len(tokens)) and heard[same] == tokens[same]:
        same += 1
    before = float(sum(logprobs[:same]))
    if same == len(tokens) or same == len(heard):
        return before + CEILING_SLACK  # one holds the other: its score, or less
    left = max(0.0, 1.0 - math.exp(logprobs[same])) + 1e-6  # float32's rounding near 1
    return before + math.log(left) + CEILING_SLACK


class Transcriber(Protocol):
    """Anything that turns 16 kHz mono float32 audio into a Transcript. An engine that
    loads a model subclasses this for the defaults of ``sha256`` and ``load``."""

    name: str
    # the model file's hash, as an attempt records it (None: no model file, or not loaded)
    sha256: str | None = None

    def load(self) -> object:
        """Load the model now (it is otherwise loaded on first use)."""
        return None

    def transcribe(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Transcript:
        """``hints``: the question's vocabulary (terms the answer is likely to use);
        ``voiced``: the voice detector's verdict on each 30 ms frame, where the caller has
        run it already (else the engine runs it)."""


@dataclass(frozen=True)
class Heard:
    """What an engine heard in some audio, and how it scores other texts for that audio
    (None: audio longer than one window, or none heard)."""

    transcript: Transcript
    score: Scorer | None = None


@dataclass(frozen=True)
class WhisperOptions:
    """How Whisper decodes an answer."""

    # prepared model name: "tiny.en" or "base"
    model: str = DEFAULT_WHISPER
    # answers are in English; also skips language detection
    language: str = "en"
    # torch CPU threads; one was measured stable, two collapsed under load
    threads: int = 1
    # cores the CTranslate2 engine may use at once, `threads` each: with 2 the encoder runs
    # on twice the threads and the audio check scores two candidate texts at a time (beam
    # search stays on `threads`: it was slower on two). The same transcript, sooner: a 17 s
    # phrase 2.28 -> 1.80 s (docs/measurements.md). Practice uses 2 where there are two
    # cores to spare.
    workers: int = 1
    # groups of phrases batched apart (a lane each), on this many replicas of the model
    # (sharing the weights; each adds its working memory: practice's peak 1,035 -> 1,091
    # MB at two). Offline, two recordings heard at once (`grade --batch`, `transcribe`
    # in one process) then decode side by side: `offline.side_by_side` asks for two where
    # the cores allow (24 answers: 22.9-24.2 -> 14.7 s, the same transcripts). One elsewhere:
    # practice decodes a phrase at a time, a `--jobs N` process was slower with two
    # (13.7-14.0 -> 14.4-14.6 s); docs/measurements.md
    lanes: int = 1
    # per-word times, from cross-attention alignment (delivery needs them)
    word_timestamps: bool = True
    # text that primes the decoder (e.g. to keep fillers); None for none
    initial_prompt: str | None = None
    # temperature 0 first; a decode that compresses too well (a loop: gzip ratio over
    # 2.4) is tried again hotter (sampling seeded, see SEED: a run of answers repeats)
    temperatures: tuple[float, ...] = field(default=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    compression_ratio_threshold: float = 2.4
    # a decode whose mean log-probability is under this is unsure ...
    log_prob_threshold: float = -1.0
    # ... and tried again hotter only when this says so. Off: on spoken interview answers
    # an unsure phrase's hotter retry was no better and sometimes invented an ending ("We'll
    # see you next time." after a Piper answer); bench/interview_speech.py, Piper WER 6.81%
    # -> 6.69%, espeak-ng en-us 12.24% -> 12.20% and terms 87.3% -> 87.8%
    resample_unsure: bool = False
    # a window Whisper thinks holds no speech (and decoded unsurely) gives no text
    no_speech_threshold: float = 0.6
    # "ct2" (CTranslate2 int8, the default) or "openai" (openai-whisper fp32)
    engine: str = "ct2"
    # beam width (ct2; openai-whisper decodes greedily): 5 reaches openai-whisper's WER
    # at int8 speed (bench/transcribe.py)
    beam_size: int = 5
    # ct2 weights in memory: "int8" (fastest) or "float32"
    compute_type: str = "int8"
    # no transcript for audio in which the voice detector hears under this much speech (s)
    min_speech: float = 0.25
    # lean decoding toward the question's terms (ct2 hotwords). Off by default: on spoken
    # interview answers it lifted term accuracy from 53% to 79% but put question terms
    # into 7% of wrong answers that did not say them, and ran 2.7x slower
    # (bench/interview_speech.py)
    use_hotwords: bool = False
    # what the ct2 encoder reads of a window: "spliced" (the window's audio and up to 2 s
    # after it; the rest of the 30 s is given as an empty window's encoding, made once at
    # load) or "whole" (all 30 s, padding and all: faster-whisper's way). Chosen on FLEURS
    # per clip (WER 6.13% both; CPU 0.63x of faster-whisper greedy's, whole 1.20x) and dev
    # interview answers (Piper, 34; whole -> spliced: WER 6.01% -> 5.56%, terms 76.5% ->
    # 82.4%, CPU -34%): bench/speed.py
    encode: str = "spliced"


# Whisper decodes 30 s windows; audio within one has a single encoding to score against
WINDOW = 30.0


# the seed of sampling (a loop's hotter retries): openai-whisper's starts from it on every
# decode (the same audio, the same transcript), CTranslate2's once per model
SEED = 0


def holds_speech(o: WhisperOptions, no_speech: float, avg_logprob: float) -> bool:
    """Whisper's own rule for a decoded window: no text where it thinks there is no speech
    and decoded unsurely."""
    return not (no_speech > o.no_speech_threshold and avg_logprob < o.log_prob_threshold)


# A word the aligner stretches over more than this much speech (s) stands where beam search
# dropped words: "Using async/await, allows Python to start an operation" came back as
# "Using the Synchronous", its last word 2.9 s long. The stretch, with up to
# STRETCH_CONTEXT s of the words before it, is decoded again. (A word drawn out over a
# pause is not: FLEURS joined with 1 s pauses has three such, 0.2-0.5 s of them voiced.)
STRETCHED_WORD = 1.5
STRETCH_CONTEXT = 2.0


def dropped_stretches(t: Transcript) -> list[tuple[int, int]]:
    """(first, last) indices of the words to decode again: each word longer than
    :data:`STRETCHED_WORD`, from the first word of its segment within
    :data:`STRETCH_CONTEXT` seconds before it."""
    out: list[tuple[int, int]] = []
    for i, w in enumerate(t.words):
        if w.end - w.start <= STRETCHED_WORD:
            continue
        seg = next((s.start for s in t.segments if s.holds(w.start)), w.start)
        first, since = i, max(seg - 0.01, w.start - STRETCH_CONTEXT)
        taken = out[-1][1] if out else -1
        while first - 1 > taken and t.words[first - 1].start >= since:
            first -= 1
        out.append((first, i))
    return out


class Engine(Transcriber):
    """What both Whisper engines share: options, a model loaded once, the voice gate."""

    def __init__(
        self,
        options: WhisperOptions | None = None,
        on_status: Callable[[str], None] | None = None,
    ):
        self.options = options or WhisperOptions()
        self.name = self._name()
        self.sha256: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()
        self._on_status = on_status or (lambda _m: None)

    def _name(self) -> str:
        return f"whisper-{self.options.model}"

    def load(self) -> Any:
        raise NotImplementedError

    def _decode(
        self, model: Any, audio: np.ndarray, duration: float, hints: Hints | None
    ) -> tuple[Transcript, Scorer | None]:
        """The engine's transcript, and a scorer of other texts for the same audio (None
        past one window)."""
        raise NotImplementedError

    def transcribe(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 audio as heard, uncorrected (see :meth:`hear`)."""
        return self.hear(audio, hints, voiced).transcript

    def hear(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Heard:
        """Decode 16 kHz mono float32 audio: nothing when no voice is heard, else the
        engine's words, cleaned of loops, with a scorer of other texts for the same audio
        (what a correction asks, :mod:`mockint.hearing.respell`). ``voiced``: the voice
        detector's verdicts on the audio's frames, when the caller has them."""
        from mockint.hearing.vad import speech_seconds, voiced_frames

        model = self.load()
        audio = np.asarray(audio, dtype=np.float32)
        duration = len(audio) / 16000
        # too short, digital silence, or no speech the voice detector can hear: nothing said
        if len(audio) < 1600 or not np.any(audio):
            return Heard(Transcript("", duration=duration))
        if voiced is None:
            voiced = voiced_frames(audio)
        if speech_seconds(voiced) < self.options.min_speech:
            return Heard(Transcript("", duration=duration))
        heard, score = self._decode(model, audio, duration, hints)
        return Heard(self._dropped_heard(model, audio, clean(heard), voiced), score)

    def transcribe_many(
        self, items: Sequence[tuple[np.ndarray, Hints | None, np.ndarray | None]]
    ) -> list[Transcript]:
        """:meth:`transcribe` of each (audio, hints, voiced), decoded together where the
        engine can (:meth:`hear_many`)."""
        return [h.transcript for h in self.hear_many(items)]

    def hear_many(
        self, items: Sequence[tuple[np.ndarray, Hints | None, np.ndarray | None]]
    ) -> list[Heard]:
        """:meth:`hear` of each (audio, hints, voiced), in order (an engine that decodes
        several windows at once does it faster)."""
        return [self.hear(*item) for item in items]

    def _dropped_heard(
        self, model: Any, audio: np.ndarray, heard: Transcript, voiced: np.ndarray
    ) -> Transcript:
        """The transcript with each stretch where beam search dropped words (see
        :func:`dropped_stretches`) decoded again on its own, kept where that hears more.
        ``voiced``: the audio's :func:`mockint.hearing.vad.voiced_frames`."""
        from mockint.hearing.vad import speech_seconds

        words, segments = list(heard.words), list(heard.segments)
        for first, last in reversed(dropped_stretches(heard)):
            start, end = words[first].start, words[last].end
            if speech_seconds(voiced, words[last].start, end) <= STRETCHED_WORD:
                continue  # a word drawn out over a pause, not over other words
            piece = audio[int(start * 16000) : int(end * 16000)]
            again, _ = self._decode(model, piece, len(piece) / 16000, None)
            again = clean(again).shifted(start)
            if len(again.words) <= last - first + 1:
                continue
            if words[first].text[:1].isupper():  # it started a sentence; so does the new one
                w = again.words[0]
                again = replace(
                    again,
                    words=(replace(w, text=w.text[:1].upper() + w.text[1:]), *again.words[1:]),
                )
            words[first : last + 1] = again.words
            k = next((k for k, s in enumerate(segments) if s.holds(start)), None)
            if k is None:
                continue
            s = segments[k]
            segments[k : k + 1] = [
                *([Segment("", s.start, start)] if start > s.start + 0.01 else []),
                *again.segments,
                *([Segment("", end, s.end)] if s.end > end + 0.01 else []),
            ]
        if len(words) == len(heard.words):
            return heard
        return clean(Transcript("", tuple(segments), tuple(words), heard.duration))


class WhisperTranscriber(Engine):
    """openai-whisper on the CPU, fp32, loaded by path from ``models/``."""

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on first use)."""
        with self._lock:
            if self._model is None:
                import torch

                from mockint.models.registry import load_whisper

                torch.set_num_threads(max(1, self.options.threads))
                self._on_status(f"Loading Whisper {self.options.model}…")
                self._model, self.sha256 = load_whisper(self.options.model)
                if self.options.word_timestamps:
                    # numba compiles whisper's DTW on first use (~2 s): do it now, not
                    # while the candidate waits for the first answer's result.
                    from whisper.timing import dtw_cpu

                    dtw_cpu(np.zeros((4, 6), dtype=np.float64))
            return self._model

    def _decode(
        self, model: Any, audio: np.ndarray, duration: float, hints: Hints | None
    ) -> tuple[Transcript, Scorer | None]:
        """``hints`` do not reach the decoder: priming openai-whisper with the question's
        words set off loops (docs/hearing.md)."""
        import torch
        import whisper

        o = self.options
        unsure = o.log_prob_threshold if o.resample_unsure else None
        with self._lock, torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            result = whisper.transcribe(
                model,
                audio,
                language=o.language,
                temperature=o.temperatures,
                compression_ratio_threshold=o.compression_ratio_threshold,
                logprob_threshold=unsure,
                no_speech_threshold=o.no_speech_threshold if o.resample_unsure else None,
                fp16=False,
                word_timestamps=o.word_timestamps,
                initial_prompt=o.initial_prompt,
                condition_on_previous_text=False,  # a loop must not prime the next window
                verbose=None,
            )
        kept = [
            s for s in result["segments"] if holds_speech(o, s["no_speech_prob"], s["avg_logprob"])
        ]
        segments = tuple(
            Segment(s["text"].strip(), float(s["start"]), float(s["end"])) for s in kept
        )
        words = tuple(
            w
            for s in kept
            for w in spoken_words(
                [
                    (w["word"], w["start"], w["end"], w.get("probability", 1.0))
                    for w in s.get("words", [])
                ]
            )
        )
        text = " ".join(s.text for s in segments).strip()
        if duration > WINDOW:
            return Transcript(text, segments, words, duration), None
        return Transcript(text, segments, words, duration), self._scorer(model, audio, [])

    def _scorer(self, model: Any, audio: np.ndarray, encoded: list[Any]) -> Scorer:
        """Texts' log-probabilities under the decoder, with no timestamps; the audio is
        encoded on the first call only, into ``encoded`` (whisper.transcribe keeps none)."""
        import torch
        import whisper
        from whisper.tokenizer import get_tokenizer

        tokenizer = get_tokenizer(
            model.is_multilingual, language=self.options.language, task="transcribe"
        )
        start = list(tokenizer.sot_sequence_including_notimestamps)

        known: dict[str, float] = {}  # what was heard is asked again by each pass

        def score(texts: Sequence[str]) -> list[float]:
            with self._lock, torch.no_grad():
                if not encoded:
                    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), model.dims.n_mels)
                    encoded.append(model.embed_audio(mel[None].to(model.device)))
                for text in texts:
                    if text in known:
                        continue
                    said = tokenizer.encode(" " + text.strip())
                    tokens = torch.tensor([start + said], device=model.device)
                    logits = model.logits(tokens, encoded[0])[0, len(start) - 1 : -1]
                    picked = logits.log_softmax(-1)[torch.arange(len(said)), torch.tensor(said)]
                    known[text] = float(picked.sum())
            return [known[t] for t in texts]

        return score
