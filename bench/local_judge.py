"""A judge that scores a text against only the seconds of audio it changes (bench only).

The audio check compares the phrase as heard with the phrase with a term. This judge asks
another model (``--judge base --local S``) about the few seconds around the words a text
changes: it crops the phrase's audio to those words and ``S`` seconds of heard words each
side, encodes the crop alone (plus 2 s of padding, as a spliced window), and scores the
crop's words as heard and as changed. A text's score is its local score minus the heard
words' local score, so the heard text scores 0.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np

from mockint.sound.audio import SAMPLE_RATE
from mockint.transcript import Word

PAD_FRAMES = 200  # feature frames of padding after a crop (as SPLICE_PAD)


class Model:
    """Another Whisper model's encoder and decoder, for scoring texts against crops."""

    def __init__(self, engine: Any):
        from faster_whisper.tokenizer import Tokenizer

        wm = engine.load()
        self.fx = wm.feature_extractor
        keeper = wm.model
        self.ct2 = keeper.model
        tok = Tokenizer(wm.hf_tokenizer, keeper.is_multilingual, task="transcribe", language="en")
        self.encode_text = lambda text: tok.encode(" " + text.strip())
        self.start = [*tok.sot_sequence, tok.no_timestamps]
        self.decode_tokens = tok.decode

    def encoding(self, audio: np.ndarray) -> Any:
        import ctranslate2

        x = self.fx(audio)[..., :-1]
        n = x.shape[-1] + PAD_FRAMES
        n += n % 2
        feats = np.zeros((1, x.shape[0], n), np.float32)
        feats[0, :, : x.shape[-1]] = x
        return self.ct2.encode(ctranslate2.StorageView.from_array(feats))

    def decode(self, encoding: Any) -> str:
        (found,) = self.ct2.generate(encoding, [self.start], beam_size=5, max_length=96)
        return self.decode_tokens(found.sequences_ids[0])

    def score(self, encoding: Any, text: str) -> float:
        (found,) = self.ct2.align(encoding, self.start, [self.encode_text(text)], 2)
        return float(np.log(np.maximum(np.asarray(found.text_token_probs), 1e-12)).sum())


class LocalJudge:
    """score(texts) of one phrase (``audio``, heard as ``words``): each text's local score
    minus the heard words' (the first text scored is taken as heard)."""

    def __init__(
        self,
        model: Model,
        audio: np.ndarray,
        words: Sequence[Word],
        around: float,
        agree: bool = False,
    ):
        self.model, self.audio, self.words, self.around = model, audio, list(words), around
        self.agree = agree  # a changed word must be in the judge's own reading of the crop
        self.readings: dict[tuple[int, int], str] = {}
        self.base: list[str] | None = None
        self.times: list[tuple[float, float]] = []
        self.crops: dict[tuple[int, int], tuple[Any, float]] = {}  # encoding, heard score

    def _timed(self, tokens: list[str]) -> list[tuple[float, float]]:
        """Each token's time span, from the heard words (joined words span theirs)."""
        heard = [w.text for w in self.words]
        out: list[tuple[float, float]] = [(0.0, 0.0)] * len(tokens)
        m = difflib.SequenceMatcher(None, tokens, heard, autojunk=False)
        for _, i1, i2, j1, j2 in m.get_opcodes():
            if i2 - i1 == j2 - j1:  # word for word
                for i in range(i1, i2):
                    w = self.words[j1 + i - i1]
                    out[i] = (w.start, w.end)
                continue
            if j2 > j1:  # joined or split: the span of the words heard there
                span = (self.words[j1].start, self.words[j2 - 1].end)
            else:
                at = self.words[min(j1, len(self.words) - 1)]
                span = (at.start, at.start)
            for i in range(i1, i2):
                out[i] = span
        return out

    def __call__(self, texts: Sequence[str]) -> list[float]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> float:
        tokens = text.split()
        if self.base is None:
            self.base = tokens
            self.times = self._timed(tokens)
        base = self.base
        if tokens == base or not base:
            return 0.0
        p = 0
        while p < min(len(tokens), len(base)) and tokens[p] == base[p]:
            p += 1
        s = 0
        while s < min(len(tokens), len(base)) - p and tokens[-1 - s] == base[-1 - s]:
            s += 1
        i0, i1 = p, len(base) - s
        if i1 <= i0:  # an insertion: the words beside it
            i0, i1 = max(0, i0 - 1), min(len(base), i1 + 1)
        t0, t1 = self.times[i0][0] - self.around, self.times[i1 - 1][1] + self.around
        lo = min(i0, next((k for k in range(len(base)) if self.times[k][0] >= t0), i0))
        hi = i1
        while hi < len(base) and self.times[hi][1] <= t1:
            hi += 1
        key = (lo, hi)
        if key not in self.crops:
            a = max(0, int((self.times[lo][0] - 0.1) * SAMPLE_RATE))
            b = min(len(self.audio), int((self.times[hi - 1][1] + 0.1) * SAMPLE_RATE))
            enc = self.model.encoding(self.audio[a:b])
            self.crops[key] = enc, self.model.score(enc, " ".join(base[lo:hi]))
        enc, heard = self.crops[key]
        changed = " ".join(base[lo:i0] + tokens[p : len(tokens) - s] + base[i1:hi])
        if self.agree:
            if key not in self.readings:
                self.readings[key] = _letters(self.model.decode(enc))
            new = _letters(" ".join(tokens[p : len(tokens) - s]))
            if new not in self.readings[key]:
                return -1e9
        return self.model.score(enc, changed) - heard


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
