"""The default Whisper engine: CTranslate2 (faster-whisper's runtime, int8) reading the
weights package itself, with the audio check's scoring pool beside it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np

from mockint.hearing.gather import Gather
from mockint.hearing.transcribe import (
    SEED,
    WINDOW,
    Engine,
    Heard,
    Scorer,
    WhisperOptions,
    ceiling,
    holds_speech,
)
from mockint.sound.audio import SAMPLE_RATE
from mockint.transcript import Segment, Transcript, spoken_words

if TYPE_CHECKING:
    from mockint.hearing.vocabulary import Hints

# how the encoder may read a window (WhisperOptions.encode)
ENCODINGS = ("spliced", "whole")

# feature frames (10 ms each) past the last sound that a spliced window still encodes: 2 s
SPLICE_PAD = 200

# feature frames CTranslate2's align is told the audio holds when it scores a text: the
# tokens' probabilities do not depend on it (only the alignment does, which the scorer
# does not read), and the fewest (one encoder frame) spare the alignment's work over the
# window: a 10 s phrase's call 37 -> 26 ms, the same probabilities
SCORE_FRAMES = 2

# encoder frames (20 ms each) after the audio's end that the audio check's decoder passes
# read, not the whole 30 s window: each pass projects every frame it reads, so a 5 s
# phrase's call costs about half. On the development answers 50 and 100 made the same
# transcripts (25 and 10 changed two words each); None reads the whole window
SCORE_PAD: int | None = 100


def _libraries() -> tuple[Any, Any]:
    """CTranslate2 and faster-whisper's model class, or a one-line error naming the fix."""
    from mockint.models.registry import ModelError

    try:
        import ctranslate2
        from faster_whisper import WhisperModel
    except ImportError as e:
        raise ModelError(f"faster-whisper is not installed ({e}): run 'make setup'") from e
    return ctranslate2, WhisperModel


class CT2Transcriber(Engine):
    """Whisper on CTranslate2 (faster-whisper), int8 on the CPU, read straight from the
    weights package after its sha256 is checked; nothing is fetched."""

    def __init__(
        self,
        options: WhisperOptions | None = None,
        on_status: Callable[[str], None] | None = None,
    ):
        super().__init__(options, on_status)
        if self.options.encode not in ENCODINGS:
            raise ValueError(
                f"unknown encode '{self.options.encode}': choose one of {', '.join(ENCODINGS)}"
            )
        self._scorers: queue.Queue[Any] = queue.Queue()  # models free to score a text
        self._pool: Any = None  # threads that score texts, when options.workers > 1
        # the lanes (:meth:`hear_many`) and which are free; the first free is taken, so
        # one recording heard alone always batches on the first
        self._lanes: list[Gather] = []
        self._free: set[int] = set()
        self._lanes_lock = threading.Lock()

    def _name(self) -> str:
        return f"whisper-{self.options.model}-ct2-{self.options.compute_type}"

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on first use)."""
        with self._lock:
            if self._model is None:
                import os

                from mockint.models.registry import ct2_model_dir

                folder, self.sha256 = ct2_model_dir(self.options.model)
                os.environ["HF_HUB_OFFLINE"] = "1"
                self._on_status(f"Loading Whisper {self.options.model}…")
                ctranslate2, WhisperModel = _libraries()
                # CTranslate2 seeds each of its threads' samplers once, on first use (not
                # per decode): each sampled retry is made on a fresh copy of the model
                # (hearing/gather.py), so its draws start from the seed every time
                ctranslate2.set_random_seed(SEED)
                o = self.options
                threads, workers, lanes = max(1, o.threads), max(1, o.workers), max(1, o.lanes)
                model = WhisperModel(
                    str(folder),
                    device="cpu",
                    compute_type=o.compute_type,
                    cpu_threads=threads,
                    # replicas sharing the weights (each adds its working memory, ~50-130
                    # MB): CTranslate2 gives each call to an idle one, so calls of two
                    # threads run at once
                    num_workers=lanes,
                )

                def again(n: int) -> Any:  # the same weights, on n threads
                    return ctranslate2.models.Whisper(
                        str(folder), device="cpu", compute_type=o.compute_type, intra_threads=n
                    )

                # the encoder and the audio check get copies of their own when there are
                # more workers; a sampled retry is made on a fresh copy (its seeded draws)
                encoder = again(threads * workers) if workers > 1 else None
                gathers = [
                    Gather(
                        model.model,
                        from_array=lambda a: ctranslate2.StorageView.from_array(
                            np.ascontiguousarray(a)
                        ),
                        fresh=lambda: again(threads),  # a sampled retry's own seeded draws
                    )
                    for _ in range(lanes)
                ]
                model.model = _KeepsEncoding(model.model, encoder, o.encode == "spliced", gathers)
                if o.encode == "spliced":
                    # one encoder pass (0.2-0.4 s) made with the model (practice preloads it
                    # while the first question is spoken), not on the first phrase
                    fx = model.feature_extractor
                    model.model.empty_window(fx.mel_filters.shape[0], fx.nb_max_frames)
                for m in [model.model.model] + [again(threads) for _ in range(workers - 1)]:
                    self._scorers.put(m)
                self._lanes, self._free = gathers, set(range(lanes))  # all made: usable
                self._model = model
            return self._model

    def _decode(
        self, model: Any, audio: np.ndarray, duration: float, hints: Hints | None
    ) -> tuple[Transcript, Scorer | None]:
        """The decoder leans toward the question's terms (``hints``) only when
        ``options.use_hotwords`` says so. Audio of one window (30 s; a practice phrase)
        comes with a scorer that reuses the window's encoding."""
        o = self.options
        lean = ", ".join(hints.terms) if hints and o.use_hotwords else ""
        keeper: _KeepsEncoding = model.model
        unsure = o.log_prob_threshold if o.resample_unsure else None
        # a thread of a group (:meth:`hear_many`) keeps its own encoding, and its decodes
        # wait for the group's others; other decodes take the engine's lock (lanes' groups
        # may decode beside them, on another replica)
        with nullcontext() if keeper.lane().in_group() else self._lock:
            keeper.first = None
            found, _ = model.transcribe(
                audio,
                language=o.language,
                beam_size=o.beam_size,
                temperature=list(o.temperatures),
                compression_ratio_threshold=o.compression_ratio_threshold,
                log_prob_threshold=unsure,
                no_speech_threshold=o.no_speech_threshold if o.resample_unsure else None,
                word_timestamps=o.word_timestamps,
                initial_prompt=o.initial_prompt,
                hotwords=lean or None,
                condition_on_previous_text=False,
                vad_filter=False,  # gated above with mockint's own detector
            )
            segs = [s for s in found if holds_speech(o, s.no_speech_prob, s.avg_logprob)]
            encoding = keeper.first
        segments = tuple(Segment(s.text.strip(), float(s.start), float(s.end)) for s in segs)
        words = tuple(
            w
            for s in segs
            for w in spoken_words(
                [(w.word, w.start, w.end, w.probability) for w in (s.words or [])]
            )
        )
        text = " ".join(s.text for s in segments).strip()
        one_window = encoding is not None and duration <= WINDOW
        if not one_window:
            return Transcript(text, segments, words, duration), None
        return Transcript(text, segments, words, duration), self._scorer(
            model, _scored_part(encoding, duration)
        )

    def hear_many(
        self, items: Sequence[tuple[np.ndarray, Hints | None, np.ndarray | None]]
    ) -> list[Heard]:
        """:meth:`hear` of each (audio, hints, voiced), on a thread each, their windows
        decoded as one batch (:class:`mockint.hearing.gather.Gather`): the same
        transcripts, sooner. Groups heard at once (two recordings) take a lane each (a
        batch of their own, on the replicas of ``options.lanes``) while one is free, then
        share the first."""
        keeper: _KeepsEncoding = self.load().model
        with self._lanes_lock:
            lane = min(self._free, default=None)
            if lane is not None:
                self._free.remove(lane)
        if lane is None:  # every lane busy: join the first one's groups
            return keeper.gather.group(lambda item: self.hear(*item), list(items))
        try:
            return self._lanes[lane].group(lambda item: self.hear(*item), list(items))
        finally:
            with self._lanes_lock:
                self._free.add(lane)

    def _scorer(self, model: Any, encoding: Any) -> _Scores:
        """Texts' log-probabilities under the decoder given ``encoding`` (the part of the
        window :func:`_scored_part` keeps), with no
        timestamps (CTranslate2's align, one text a call: ~25-40 ms each on one thread,
        where a batch was measured slower; ``options.workers`` calls at a time)."""
        from faster_whisper.tokenizer import Tokenizer

        keeper: _KeepsEncoding = model.model
        tokenizer = Tokenizer(
            model.hf_tokenizer,
            keeper.is_multilingual,
            task="transcribe",
            language=self.options.language,
        )
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]

        def one(tokens: list[int]) -> np.ndarray:
            scorer = self._scorers.get()
            try:
                (found,) = scorer.align(encoding, start, [tokens], SCORE_FRAMES)
            finally:
                self._scorers.put(scorer)
            return np.log(np.maximum(np.asarray(found.text_token_probs), 1e-12))

        def each(jobs: list[list[int]]) -> list[np.ndarray]:
            with self._lock:
                return self._each(one, jobs)

        return _Scores(lambda text: tokenizer.encode(" " + text.strip()), each)

    def _each(self, f: Callable[[Any], Any], jobs: list[Any]) -> list[Any]:
        """``f`` over ``jobs``, ``options.workers`` at a time (CTranslate2 lets go of the
        GIL while it computes), in order."""
        if self.options.workers <= 1 or len(jobs) <= 1:
            return [f(j) for j in jobs]
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.options.workers, "mockint-score")
        return list(self._pool.map(f, jobs))


def _scored_part(encoding: Any, duration: float) -> Any:
    """The part of a window's encoding the audio check reads: the audio's frames (one per
    320 samples) and :data:`SCORE_PAD` after them; the whole window where that is None
    or reaches it, or where the encoding cannot be read as an array."""
    if SCORE_PAD is None:
        return encoding
    import ctranslate2

    try:
        x = np.asarray(encoding)
    except (TypeError, ValueError, RuntimeError):
        return encoding
    n = -(-round(duration * SAMPLE_RATE) // 320) + SCORE_PAD
    if x.ndim != 3 or n >= x.shape[1]:
        return encoding
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(x[:, :n]))


class _Scores:
    """A window's scorer (:class:`mockint.hearing.transcribe.Bounded`): each text's tokens
    scored by ``each`` (a decoder pass a text), once; and, from a text scored, the most
    others could score (:func:`mockint.hearing.transcribe.ceiling`)."""

    def __init__(
        self,
        tokens: Callable[[str], list[int]],
        each: Callable[[list[list[int]]], list[np.ndarray]],
    ):
        self.tokens, self.each = tokens, each
        self.known: dict[str, tuple[list[int], np.ndarray]] = {}  # text: tokens, their logs

    def __call__(self, texts: Sequence[str]) -> list[float]:
        todo = [t for t in dict.fromkeys(texts) if t not in self.known]
        tokens = [self.tokens(t) for t in todo]
        for text, toks, logs in zip(todo, tokens, self.each(tokens), strict=True):
            self.known[text] = (toks, logs)
        return [float(self.known[t][1].sum()) for t in texts]

    def ceilings(self, scored: str, texts: Sequence[str]) -> list[float]:
        self([scored])
        heard, logs = self.known[scored]
        return [ceiling(heard, logs.tolist(), self.tokens(t)) for t in texts]


class _KeepsEncoding:
    """faster-whisper's CTranslate2 model, keeping the first window it encodes so that
    other texts can be scored against the same audio without encoding it again; windows
    are encoded by ``encoder`` where there is one (the same weights on more threads).

    With ``splice``, a window's padding is not encoded: the encoder reads the audio's
    frames and :data:`SPLICE_PAD` after them, and the rest of the window is an empty
    window's encoding (made once, at load), so the decoder still reads 30 s."""

    def __init__(
        self,
        model: Any,
        encoder: Any = None,
        splice: bool = False,
        gathers: Sequence[Gather] = (),
    ):
        self.model = model
        self.encoder = encoder or model
        self._local = threading.local()  # each thread's first encoding (see `first`)
        # generate, batched for a group of threads: a gather a lane (hear_many)
        self.gathers = list(gathers) or [Gather(model)]
        self.gather = self.gathers[0]
        self.splice = splice
        self.empty: np.ndarray | None = None  # an all-padding window's encoding
        self.frames = 0  # feature frames the encoder has read (of every window)

    @property
    def first(self) -> Any:
        """The first window this thread encoded since it set this to None."""
        return getattr(self._local, "first", None)

    @first.setter
    def first(self, value: Any) -> None:
        self._local.first = value

    def lane(self) -> Gather:
        """The gather of the group this thread hears in (the first where none)."""
        return next((g for g in self.gathers if g.in_group()), self.gather)

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
        return self.lane().generate(features, prompts, **kwargs)

    def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
        out = self._encoded(features, *args, **kwargs) if self.splice else None
        if out is None:
            out = self.encoder.encode(features, *args, **kwargs)
            self.frames += int(features.shape[0]) * int(features.shape[-1])
        if self.first is None:
            self.first = out
        return out

    def _encoded(self, features: Any, *args: Any, **kwargs: Any) -> Any:
        """The window spliced: its frames up to the last one that is not padding (all
        zeros, as faster-whisper pads a window), :data:`SPLICE_PAD` more, then the empty
        window's encoding. None where that would be the whole window."""
        import ctranslate2

        x = np.asarray(features)
        size = x.shape[-1]
        sounding = np.flatnonzero(np.any(x != 0, axis=(0, 1)))
        used = int(sounding[-1]) + 1 if len(sounding) else 0
        n = min(size, used + SPLICE_PAD + (used + SPLICE_PAD) % 2)  # the encoder halves it
        if n >= size:
            return None
        empty = self.empty_window(x.shape[1], size)
        if used == 0:  # all padding: the whole window would encode to this very encoding
            return ctranslate2.StorageView.from_array(np.repeat(empty, x.shape[0], axis=0))
        head = ctranslate2.StorageView.from_array(np.ascontiguousarray(x[..., :n]))
        said = np.asarray(self.encoder.encode(head, *args, **kwargs))
        self.frames += x.shape[0] * n
        rest = np.repeat(empty[:, said.shape[1] :], x.shape[0], axis=0)
        return ctranslate2.StorageView.from_array(np.concatenate([said, rest], axis=1))

    def empty_window(self, mels: int, size: int) -> np.ndarray:
        """The encoding of a window of padding alone (one encoder pass, the first time)."""
        import ctranslate2

        if self.empty is None:
            empty = ctranslate2.StorageView.from_array(np.zeros((1, mels, size), np.float32))
            self.empty = np.asarray(self.encoder.encode(empty)).copy()
            self.frames += size
        return self.empty

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)
