"""Grading an answer against the model answer by key-point coverage.

Each sentence of the model answer is a key point. The encoder reads each
sentence of the answer once; from its token vectors come two measures of how
well a key point is covered:

* recall: each of the key point's tokens finds its closest token in the answer
  (cosine of contextual token vectors, function words weighted down), averaged;
  it tracks whether the point's substance was said (BERTScore's recall);
* similarity: the key point's best cosine against a span of the answer (a
  sentence, a clause or a word window, pooled from the same token vectors); its
  best span (a whole sentence or clause where one matches nearly as well) is
  the evidence shown to the user.

One global mapping turns their blend into credit (0 at or below ``floor``, 1 at
or above ``ceiling``, linear between), and the score is the mean credit times
100: a partial answer earns what it covers, an unrelated one next to nothing.
Two corrections keep the score honest:

* echo: spans that mostly repeat the question, adding nothing or hedging, earn
  nothing (an answer that restates the question and says "I don't know" is on
  topic, but empty; "C++ creates a default constructor when none is declared"
  restates the question too, and answers it);
  hedges ("I don't know", "not sure") are detected and reported;
* fluency: a bare list of terms, with none of the little words that make
  sentences, is scaled down below a partial explanation.

Pure: the encoder comes in as an :class:`Embedder`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from mockint.bank import Question


class Tokens(NamedTuple):
    """A text's contextual token vectors and each token's character range in it."""

    vectors: np.ndarray  # (n, dims) float32, as the encoder outputs them
    offsets: np.ndarray  # (n, 2) int: start and end character of each token


class Embedder(Protocol):
    """Anything that encodes texts into contextual token vectors (one Tokens per text)."""

    name: str

    def tokens(self, texts: Sequence[str]) -> list[Tokens]: ...


@dataclass(frozen=True)
class GradeOptions:
    """How coverage becomes a score."""

    # words per sliding window over the answer, and the step between windows
    window: int = 24
    stride: int = 12
    # the encoder reads one sentence at a time; longer ones in pieces of this many words
    unit_words: int = 64
    # a key point's strength is recall_weight * token recall + the rest * span similarity
    recall_weight: float = 0.8
    # tokens of function words and punctuation count this much in recall
    function_weight: float = 0.2
    # a key point whose strength reaches `covered` is covered (full credit), `partly`
    # (half credit) partly covered
    covered: float = 0.6
    partly: float = 0.45
    # the span shown as evidence is a sentence or clause unless a window matches this much better
    prefer_phrases: float = 0.05
    # a key point's strength at or below floor earns no credit; at or above ceiling, full
    floor: float = 0.30
    ceiling: float = 0.60
    # a span of 3+ content words, at least this share of them the question's, is an echo
    echo_share: float = 0.8
    # below this share of function words (or 0.6 of the model answer's share, if less)
    # an answer reads as a keyword list...
    fluent_share: float = 0.25
    # ...if it has at least this many content words (one or two terms are terse, not a list)
    list_terms: int = 5
    # a hedged answer with fewer content words of its own than this (besides the
    # question's) says nothing: it scores 0
    min_content: int = 4


@dataclass(frozen=True)
class KeyPoint:
    """One sentence of the model answer and how well the answer covered it."""

    text: str
    similarity: float  # best cosine against a span of the answer
    covered: bool
    match: str  # the answer span that matched best ("" if the answer is empty)
    status: str = "missed"  # "covered", "partly covered" or "missed"
    recall: float = 0.0  # token recall of the key point in the answer
    strength: float = 0.0  # the blend of recall and similarity that earns credit

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "covered": self.covered,
            "status": self.status,
            "strength": round(self.strength, 4),
            "recall": round(self.recall, 4),
            "similarity": round(self.similarity, 4),
            "match": self.match,
        }


@dataclass(frozen=True)
class Grade:
    """A graded answer: the 0-100 score, its raw coverage and each key point."""

    score: float
    coverage: float  # mean key-point strength, before the mapping to credit
    key_points: tuple[KeyPoint, ...]
    hedges: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # why the score was lowered, if it was

    @property
    def covered(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.covered]

    @property
    def partly(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.status == "partly covered"]

    @property
    def missed(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.status == "missed"]


# Split after . ! ? before a capital, digit or quote; _ABBREV rejoins "B.Sc." and "e.g.".
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b[A-Z][a-z]?\.|\be\.g\.|\bi\.e\.|\betc\.|\bvs\.)$")
_WORD = re.compile(r"[a-z0-9][a-z0-9'+#./-]*")
_CLAUSE_RE = re.compile(r"[;:]|, (?=\w)")

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


Range = tuple[int, int]  # start and end character of a piece of text


def sentence_ranges(text: str) -> list[Range]:
    """Where each sentence of ``text`` lies (simple rules; no model)."""
    cuts = [(m.start(), m.end()) for m in _SENT_RE.finditer(text)]
    bounds = zip([0] + [e for _, e in cuts], [s for s, _ in cuts] + [len(text)], strict=True)
    out: list[Range] = []
    for start, end in bounds:
        start, end = _strip(text, start, end)
        if start >= end:
            continue
        if out and _ABBREV.search(text[out[-1][0] : out[-1][1]]):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _strip(text: str, start: int, end: int) -> Range:
    """The range without the whitespace at either end."""
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences (simple rules; no model)."""
    return [text[a:b] for a, b in sentence_ranges(text)]


def _word_ranges(text: str) -> list[Range]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def span_ranges(text: str, window: int = 24, stride: int = 12) -> list[Range]:
    """Candidate spans of an answer: sentences, their clauses, overlapping word windows.

    Clauses (split at ; : and commas, 4+ words) let a concise answer that packs
    several points into one sentence match each point; windows make
    unpunctuated speech-recognition text gradeable too.
    """
    out = phrase_ranges(text)
    ws = _word_ranges(text)
    if len(ws) > window:
        for i in range(0, len(ws) - window + stride, stride):
            chunk = ws[i : i + window]
            out.append((chunk[0][0], chunk[-1][1]))
    elif ws:
        out.append((ws[0][0], ws[-1][1]))
    seen: dict[str, Range] = {}
    for r in out:
        seen.setdefault(text[r[0] : r[1]], r)
    return list(seen.values())


def phrase_ranges(text: str) -> list[Range]:
    """The sentences of ``text`` and their clauses of 4+ words."""
    sents = sentence_ranges(text)
    out = list(sents)
    for a, b in sents:
        cuts = [(m.start(), m.end()) for m in _CLAUSE_RE.finditer(text, a, b)]
        if not cuts:
            continue
        for s, e in zip([a] + [y for _, y in cuts], [x for x, _ in cuts] + [b], strict=True):
            s, e = _strip(text, s, e)
            if len(text[s:e].split()) >= 4:
                out.append((s, e))
    return out


def spans(text: str, window: int = 24, stride: int = 12) -> list[str]:
    """The candidate spans of :func:`span_ranges` as text."""
    return [text[a:b] for a, b in span_ranges(text, window, stride)]


def units(text: str, unit_words: int = 64) -> list[Range]:
    """The pieces the encoder reads: sentences, long ones cut every ``unit_words`` words."""
    out: list[Range] = []
    for a, b in sentence_ranges(text):
        ws = [(a + s, a + e) for s, e in _word_ranges(text[a:b])]
        for i in range(0, len(ws), unit_words):
            out.append((ws[i][0], ws[min(i + unit_words, len(ws)) - 1][1]))
    return out


def words(text: str) -> list[str]:
    """Lower-cased words, "node.js" and "i/o" kept whole, sentence punctuation dropped."""
    return [w.rstrip("./-") for w in _WORD.findall(text.lower().replace("’", "'"))]


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


def list_factor(text: str, model_answer: str, options: GradeOptions) -> float:
    """1, or less (down to 0.35) for an answer that reads as a bare list of terms.

    Judged against the model answer's own style: a terse model answer allows terse answers.
    """
    need = min(options.fluent_share, 0.6 * fluency(model_answer))
    flu = fluency(text)
    if flu < need and len(content_words(text)) >= options.list_terms:
        return max(0.35, flu / need)
    return 1.0


def calibrate(strength: float, options: GradeOptions) -> float:
    """A key point's credit, 0-1, from its strength (one global linear mapping, clipped)."""
    x = (strength - options.floor) / (options.ceiling - options.floor)
    return float(np.clip(x, 0.0, 1.0))


class _Encoded:
    """A text's token vectors (unit length) and offsets, joined from its units."""

    def __init__(self, pieces: list[tuple[Range, Tokens]]):
        vecs = [t.vectors for _, t in pieces if len(t.vectors)]
        offs = [t.offsets + r[0] for r, t in pieces if len(t.vectors)]
        dims = pieces[0][1].vectors.shape[1] if pieces else 1
        self.raw = np.concatenate(vecs) if vecs else np.zeros((0, dims), np.float32)
        self.offsets = np.concatenate(offs) if offs else np.zeros((0, 2), int)
        norms = np.linalg.norm(self.raw, axis=1, keepdims=True)
        self.unit = self.raw / np.maximum(norms, 1e-9)

    def inside(self, r: Range) -> np.ndarray:
        return (self.offsets[:, 0] >= r[0]) & (self.offsets[:, 1] <= r[1])

    def pool(self, ranges: Sequence[Range]) -> tuple[list[Range], np.ndarray]:
        """Mean-pooled, unit-length vectors of the ranges that hold any token."""
        kept, vecs = [], []
        for r in ranges:
            sel = self.inside(r)
            if sel.any():
                v = self.raw[sel].mean(axis=0)
                kept.append(r)
                vecs.append(v / max(float(np.linalg.norm(v)), 1e-9))
        return kept, np.array(vecs, dtype=np.float32).reshape(len(vecs), self.raw.shape[1])


class _Cache:
    """Token vectors of the model answers' sentences, which recur for every answer."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.keep: dict[str, Tokens] = {}

    def encode(self, texts: Sequence[str], keep: set[str], unit_words: int) -> dict[str, _Encoded]:
        """Encode each distinct text, one encoder pass over all their new units."""
        plan = {t: [(r, t[r[0] : r[1]]) for r in units(t, unit_words)] for t in set(texts)}
        todo = list(dict.fromkeys(u for ps in plan.values() for _, u in ps if u not in self.keep))
        fresh = dict(zip(todo, self.embedder.tokens(todo), strict=True)) if todo else {}
        kept = {u for t in keep for _, u in plan.get(t, [])}
        if len(self.keep) > 20_000:  # a bank larger than any we know: keep memory bounded
            self.keep.clear()
        self.keep.update((u, v) for u, v in fresh.items() if u in kept)
        return {
            t: _Encoded([(r, self.keep[u] if u in self.keep else fresh[u]) for r, u in ps])
            for t, ps in plan.items()
        }


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
    """Grade many (answer text, question) pairs with one batched encoder pass."""
    o = options or GradeOptions()
    refs = {q.model_answer for _, q in items}
    enc = _cache_for(embedder).encode([t for t, _ in items] + list(refs), refs, o.unit_words)
    return [_grade_one(text, q, enc[text], enc[q.model_answer], o) for text, q in items]


def _grade_one(text: str, q: Question, ans: _Encoded, ref: _Encoded, o: GradeOptions) -> Grade:
    hedges = tuple(hedges_in(text))
    q_words = set(content_words(q.text))
    own = _own(text, q_words)

    def echo(span: str) -> bool:  # a restatement that adds nothing, or hedges
        return is_echo(span, q.text, o.echo_share) and bool(hedges or not _own(span, q_words))

    cands = [r for r in span_ranges(text, o.window, o.stride) if not echo(text[r[0] : r[1]])]
    cands, cand_vecs = ans.pool(cands)
    points, point_vecs = ref.pool(sentence_ranges(q.model_answer) or [(0, len(q.model_answer))])
    point_texts = [q.model_answer[a:b] for a, b in points]
    if not points:
        raise ValueError(f"question {q.id} has an empty model answer")
    notes: list[str] = []
    if not cands or not own or (hedges and len(own) < o.min_content):
        if text.strip():
            notes.append("nothing beyond the question itself" + (" and a hedge" if hedges else ""))
        empty = tuple(KeyPoint(p, 0.0, False, "", "missed") for p in point_texts)
        return Grade(0.0, 0.0, empty, hedges, tuple(notes))
    sims = point_vecs @ cand_vecs.T
    # the evidence shown: a whole sentence or clause rather than a ragged word window,
    # unless a window matches clearly better
    phrases = set(phrase_ranges(text))
    shown = (sims + o.prefer_phrases * np.array([r in phrases for r in cands])).argmax(axis=1)
    # each model-answer token's best cosine among the answer's tokens
    token_best = (ref.unit @ ans.unit.T).max(axis=1)
    weight = np.array([
        o.function_weight if _is_function(q.model_answer[s:e]) else 1.0 for s, e in ref.offsets
    ])  # fmt: skip
    kps: list[KeyPoint] = []
    for i, (p, r) in enumerate(zip(point_texts, points, strict=True)):
        sel = ref.inside(r)
        recall = float((token_best[sel] * weight[sel]).sum() / weight[sel].sum())
        sim = float(sims[i].max())
        strength = o.recall_weight * recall + (1 - o.recall_weight) * sim
        a, b = cands[shown[i]]
        status = _status(strength, o)
        kps.append(KeyPoint(p, sim, status == "covered", text[a:b], status, recall, strength))
    coverage = float(np.mean([k.strength for k in kps]))
    score = 100.0 * float(np.mean([calibrate(k.strength, o) for k in kps]))
    factor = list_factor(text, q.model_answer, o)
    if factor < 1:
        score *= factor
        notes.append("reads as a list of terms, not an explanation")
    return Grade(round(score, 1), coverage, tuple(kps), hedges, tuple(notes))


def _own(span: str, q_words: set[str]) -> list[str]:
    """The span's content words that are neither the question's nor a hedge's."""
    return [w for w in content_words(span) if w not in q_words and w not in _HEDGE_WORDS]


def _status(strength: float, o: GradeOptions) -> str:
    if strength >= o.covered:
        return "covered"
    return "partly covered" if strength >= o.partly else "missed"


def _is_function(token: str) -> bool:
    t = token.lower().strip()
    return t in FUNCTION_WORDS or not any(c.isalnum() for c in t)


def grade(
    answer_text: str,
    question: Question,
    embedder: Embedder,
    options: GradeOptions | None = None,
) -> Grade:
    """Grade ``answer_text`` against ``question.model_answer``."""
    return grade_many([(answer_text, question)], embedder, options)[0]
