"""Word error rate, with whisper's English normaliser applied to both sides."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _normaliser() -> Any:
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> list[str]:
    """Whisper's English normalisation (case, punctuation, numbers, spellings), as words."""
    return str(_normaliser()(text)).split()


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus word error rate: total edits over total reference words, both normalised."""
    edits = words = 0
    for ref, hyp in zip(refs, hyps, strict=True):
        r, h = normalise(ref), normalise(hyp)
        edits += edit_distance(r, h)
        words += len(r)
    return edits / max(words, 1)
