"""Grading an answer against the model answer by key-point coverage.

Each sentence of the model answer is a key point. A key point's similarity is
its best cosine against the answer's sentences and overlapping word windows.
One global mapping turns each similarity into credit (0 at or below ``floor``,
1 at or above ``ceiling``, linear between), and the score is the mean credit
times 100: a partial answer earns what it covers, an unrelated one next to
nothing. Two corrections keep the score honest:

* echo: spans that mostly repeat the question earn nothing (an answer that
  restates the question and says "I don't know" is on topic, but empty);
  hedges ("I don't know", "not sure") are detected and reported;
* fluency: a bare list of terms, with none of the little words that make
  sentences, is scaled down below a partial explanation.

Pure: the embedding model comes in as an :class:`Embedder`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    # a key point whose best similarity reaches `covered` is covered; `partly` partly covered
    covered: float = 0.65
    partly: float = 0.5
    # a key point's similarity at or below floor earns no credit; at or above ceiling, full
    floor: float = 0.30
    ceiling: float = 0.65
    # a span of 3+ content words, at least this share of them the question's, is an echo
    echo_share: float = 0.8
    # below this share of function words (or 0.6 of the model answer's share, if less)
    # an answer reads as a keyword list
    fluent_share: float = 0.25
    # a hedged answer with fewer content words of its own than this (besides the
    # question's) says nothing: it scores 0
    min_content: int = 4


@dataclass(frozen=True)
class KeyPoint:
    """One sentence of the model answer and how well the answer covered it."""

    text: str
    similarity: float
    covered: bool
    match: str  # the answer span that matched best ("" if the answer is empty)
    status: str = "missed"  # "covered", "partly covered" or "missed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "covered": self.covered,
            "status": self.status,
            "similarity": round(self.similarity, 4),
            "match": self.match,
        }


@dataclass(frozen=True)
class Grade:
    """A graded answer: the 0-100 score, its raw coverage and each key point."""

    score: float
    coverage: float
    key_points: tuple[KeyPoint, ...]
    hedges: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # why the score was lowered, if it was

    @property
    def covered(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.covered]

    @property
    def missed(self) -> list[KeyPoint]:
        return [k for k in self.key_points if not k.covered]


# Split after . ! ? before a capital, digit or quote; _ABBREV rejoins "B.Sc." and "e.g.".
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b[A-Z][a-z]?\.|\be\.g\.|\bi\.e\.|\betc\.|\bvs\.)$")
_WORD = re.compile(r"[a-z0-9][a-z0-9'+#./-]*")

_FUNCTION = """
a an the and or but if then so because as of in on at to for from by with without into
onto over under about than that this these those it its is are was were be been being am
do does did have has had will would can could should may might must i we you he she they
me us him her them my our your their which who whom what when where why how not no also
very just there here all any each some such more most other only own same too up down out
off again further once while through during before after above below between both few
nor s t don let lets i'm it's we're they're
"""
FUNCTION_WORDS = frozenset(_FUNCTION.split())

HEDGES = (
    "i don't know", "i do not know", "don't know", "not sure", "i'm not sure",
    "can't remember", "cannot remember", "don't remember", "no idea", "not familiar",
    "never heard", "i forgot", "haven't used", "have not used",
)  # fmt: skip


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
    """Candidate spans of an answer: sentences, their clauses, overlapping word windows.

    Clauses (split at ; : and commas, 4+ words) let a concise answer that packs
    several points into one sentence match each point; windows make
    unpunctuated speech-recognition text gradeable too.
    """
    out = split_sentences(text)
    for sent in list(out):
        parts = [p.strip() for p in re.split(r"[;:]|, (?=\w)", sent) if p.strip()]
        if len(parts) > 1:
            out += [p for p in parts if len(p.split()) >= 4]
    words = text.split()
    if len(words) > window:
        for i in range(0, len(words) - window + stride, stride):
            out.append(" ".join(words[i : i + window]))
    elif words:
        out.append(" ".join(words))
    return list(dict.fromkeys(out))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in FUNCTION_WORDS]


def hedges_in(text: str) -> list[str]:
    """The hedging phrases an answer contains ("I don't know", "not sure"...)."""
    low = " ".join(words(text))
    found = [h for h in HEDGES if h in low]
    # keep the longest of overlapping phrases ("i'm not sure" over "not sure"), in order
    kept = [h for h in found if not any(h != o and h in o for o in found)]
    return sorted(kept, key=low.find)


def is_echo(span: str, question: str, share: float) -> bool:
    """Whether a span mostly repeats the question's own content words."""
    q = set(content_words(question))
    c = [w for w in content_words(span) if w not in _HEDGE_WORDS]
    return len(c) >= 3 and sum(w in q for w in c) / len(c) >= share


_HEDGE_WORDS = frozenset(w for h in HEDGES for w in h.split())


def fluency(text: str) -> float:
    """Share of function words: ~0.4-0.5 in sentences, near 0 in a list of terms."""
    w = words(text)
    return sum(x in FUNCTION_WORDS for x in w) / len(w) if w else 0.0


def calibrate(similarity: float, options: GradeOptions) -> float:
    """A key point's credit, 0-1, from its similarity (one global linear mapping, clipped)."""
    x = (similarity - options.floor) / (options.ceiling - options.floor)
    return float(np.clip(x, 0.0, 1.0))


class _Cache:
    """Embeddings of texts seen before (key points recur for every answer to a question)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.vecs: dict[str, np.ndarray] = {}

    def fill(self, texts: Sequence[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self.vecs))
        if len(self.vecs) + len(todo) > 50_000:  # a long batch: keep memory bounded
            self.vecs.clear()
            todo = list(dict.fromkeys(texts))
        if todo:
            for t, v in zip(todo, self.embedder.embed(todo), strict=True):
                self.vecs[t] = v

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vecs[t] for t in texts])


_caches: dict[int, _Cache] = {}


def _cache_for(embedder: Embedder) -> _Cache:
    c = _caches.get(id(embedder))
    if c is None or c.embedder is not embedder:
        c = _caches[id(embedder)] = _Cache(embedder)
    return c


def grade_many(
    items: Sequence[tuple[str, Question]],
    embedder: Embedder,
    options: GradeOptions | None = None,
) -> list[Grade]:
    """Grade many (answer text, question) pairs with one batched embedding pass."""
    o = options or GradeOptions()
    cache = _cache_for(embedder)
    plans = []
    for text, q in items:
        points = split_sentences(q.model_answer) or [q.model_answer]
        cands = [s for s in spans(text, o.window, o.stride) if not is_echo(s, q.text, o.echo_share)]
        plans.append((text, q, points, cands))
    cache.fill([t for _, _, p, c in plans for t in (*p, *c)])
    return [_grade_one(text, q, points, cands, cache, o) for text, q, points, cands in plans]


def _grade_one(
    text: str, q: Question, points: list[str], cands: list[str], cache: _Cache, o: GradeOptions
) -> Grade:
    hedges = tuple(hedges_in(text))
    q_words = set(content_words(q.text))
    own = [w for w in content_words(text) if w not in q_words and w not in _HEDGE_WORDS]
    notes: list[str] = []
    if not cands or not own or (hedges and len(own) < o.min_content):
        if text.strip():
            notes.append("nothing beyond the question itself" + (" and a hedge" if hedges else ""))
        empty = tuple(KeyPoint(p, 0.0, False, "", "missed") for p in points)
        return Grade(0.0, 0.0, empty, hedges, tuple(notes))
    sims = cache.matrix(points) @ cache.matrix(cands).T
    best = sims.argmax(axis=1)
    kps: list[KeyPoint] = []
    for i, p in enumerate(points):
        s = float(sims[i, best[i]])
        status = "covered" if s >= o.covered else "partly covered" if s >= o.partly else "missed"
        kps.append(KeyPoint(p, s, s >= o.covered, cands[best[i]], status))
    coverage = float(np.mean([k.similarity for k in kps]))
    score = 100.0 * float(np.mean([calibrate(k.similarity, o) for k in kps]))
    # compared with the model answer's own style: a terse model answer allows terse answers
    need = min(o.fluent_share, 0.6 * fluency(q.model_answer))
    flu = fluency(text)
    if flu < need:
        factor = max(0.35, flu / need)
        score *= factor
        notes.append("reads as a list of terms, not an explanation")
    return Grade(round(score, 1), coverage, tuple(kps), hedges, tuple(notes))


def grade(
    answer_text: str,
    question: Question,
    embedder: Embedder,
    options: GradeOptions | None = None,
) -> Grade:
    """Grade ``answer_text`` against ``question.model_answer``."""
    return grade_many([(answer_text, question)], embedder, options)[0]
