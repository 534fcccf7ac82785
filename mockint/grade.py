"""Grading an answer against the model answer by key-point coverage.

Each sentence of the model answer is a key point. A key point's similarity is
its best cosine against the answer's sentences and overlapping word windows;
the answer's coverage is the mean over key points, mapped to 0-100 by one
global linear calibration (``GradeOptions.floor`` .. ``ceiling``). Pure: the
embedding model comes in as an :class:`Embedder`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mockint.bank import Question


class Embedder(Protocol):
    """Anything that maps texts to unit-length vectors (one row per text)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class GradeOptions:
    """How coverage becomes a score."""

    # words per sliding window over the answer, and the step between windows
    window: int = 24
    stride: int = 12
    # a key point whose best similarity reaches this is counted as covered
    covered: float = 0.65
    # coverage at or below floor scores 0; at or above ceiling scores 100
    floor: float = 0.40
    ceiling: float = 0.90


@dataclass(frozen=True)
class KeyPoint:
    """One sentence of the model answer and how well the answer covered it."""

    text: str
    similarity: float
    covered: bool
    match: str  # the answer span that matched best ("" if the answer is empty)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "covered": self.covered,
            "similarity": round(self.similarity, 4),
            "match": self.match,
        }


@dataclass(frozen=True)
class Grade:
    """A graded answer: the 0-100 score, its raw coverage and each key point."""

    score: float
    coverage: float
    key_points: tuple[KeyPoint, ...]

    @property
    def covered(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.covered]

    @property
    def missed(self) -> list[KeyPoint]:
        return [k for k in self.key_points if not k.covered]


# Split after . ! ? before a capital, digit or quote; _ABBREV rejoins "B.Sc." and "e.g.".
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b[A-Z][a-z]?\.|\be\.g\.|\bi\.e\.|\betc\.|\bvs\.)$")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences (simple rules; no model)."""
    parts = [p.strip() for p in _SENT_RE.split(text.strip()) if p.strip()]
    out: list[str] = []
    for p in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return out


def spans(text: str, window: int = 24, stride: int = 12) -> list[str]:
    """Candidate spans of an answer: its sentences plus overlapping word windows.

    Windows make unpunctuated speech-recognition text gradeable too.
    """
    out = split_sentences(text)
    words = text.split()
    if len(words) > window:
        for i in range(0, len(words) - window + stride, stride):
            out.append(" ".join(words[i : i + window]))
    elif words:
        out.append(" ".join(words))
    return list(dict.fromkeys(out))


def calibrate(coverage: float, options: GradeOptions) -> float:
    """Map raw coverage to the 0-100 score (one global linear mapping, clipped)."""
    x = (coverage - options.floor) / (options.ceiling - options.floor)
    return float(np.clip(x, 0.0, 1.0) * 100.0)


def grade(
    answer_text: str,
    question: Question,
    embedder: Embedder,
    options: GradeOptions | None = None,
) -> Grade:
    """Grade ``answer_text`` against ``question.model_answer``."""
    o = options or GradeOptions()
    points = split_sentences(question.model_answer) or [question.model_answer]
    cands = spans(answer_text, o.window, o.stride)
    if not cands:
        kps = tuple(KeyPoint(p, 0.0, False, "") for p in points)
        return Grade(0.0, 0.0, kps)
    vecs = embedder.embed(points + cands)
    sims = vecs[: len(points)] @ vecs[len(points) :].T
    best = sims.argmax(axis=1)
    kps = tuple(
        KeyPoint(p, float(sims[i, best[i]]), bool(sims[i, best[i]] >= o.covered), cands[best[i]])
        for i, p in enumerate(points)
    )
    coverage = float(np.mean([k.similarity for k in kps]))
    return Grade(round(calibrate(coverage, o), 1), coverage, kps)
