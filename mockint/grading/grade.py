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
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

import numpy as np

from mockint.bank import Question
from mockint.grading import behavioural
from mockint.grading.behavioural import StoryOptions
from mockint.grading.star import Star
from mockint.grading.star import read as read_star
from mockint.text import (
    FUNCTION_WORDS,
    HEDGE_WORDS,
    Range,
    content_words,
    fluency,
    hedges_in,
    is_echo,
    phrase_ranges,
    sentence_ranges,
    span_ranges,
    units,
)


class Tokens(NamedTuple):
    """A text's contextual token vectors and each token's character range in it."""

    vectors: np.ndarray  # (n, dims) float32, as the encoder outputs them
    offsets: np.ndarray  # (n, 2) int: start and end character of each token


class Embedder(Protocol):
    """Anything that encodes texts into contextual token vectors (one Tokens per text).
    An embedder with a model subclasses this for the defaults of ``sha256`` and ``load``."""

    name: str
    # the model file's hash, as an attempt records it (None: no model file)
    sha256: str | None = None

    def tokens(self, texts: Sequence[str]) -> list[Tokens]: ...

    def load(self) -> object:
        """Load the model now (it is otherwise loaded on first use)."""
        return None


@dataclass(frozen=True)
class GradeOptions:
    """How coverage becomes a score."""

    # words per sliding window over the answer, and the step between windows
    window: int = 24
    stride: int = 12
    # the encoder reads one sentence at a time; longer ones in pieces of this many words
    unit_words: int = 64
    # a key point's strength is recall_weight * token recall + the rest * span similarity
    # (both beyond the question); recall alone tracks people best (bench/grading.py)
    recall_weight: float = 1.0
    # tokens of function words and punctuation count this much in recall
    function_weight: float = 0.2
    # a key point whose strength reaches `covered` is covered (full credit), `partly`
    # (half credit) partly covered
    covered: float = 0.38
    partly: float = 0.24
    # the span shown as evidence is a sentence or clause unless a window matches this much better
    prefer_phrases: float = 0.05
    # a key point's strength at or below floor earns no credit; at or above ceiling, full
    floor: float = 0.10
    ceiling: float = 0.38
    # credit only for what the question does not already say: each key-point token counts
    # by how far the answer matches it beyond the question's own best match (0: plain recall)
    novelty: float = 1.0
    # a key point whose tokens the question mostly gives (novel share below this) weighs
    # less in the score, in proportion (one that only restates the question weighs nothing)
    given_share: float = 0.3
    # an answer whose pooled vector is this far from the model answer's (cosine) is about
    # something else: its score is scaled down from `relevant` to nothing at `irrelevant`
    relevant: float = 0.4
    irrelevant: float = 0.15
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
    # only the first this many words of an answer are graded (about 12 minutes of speech),
    # so grading time has a bound whatever arrives
    max_words: int = 2_000
    # behavioural questions: read the answer as a story too (behavioural.py), and how
    stories: bool = True
    story: StoryOptions = field(default_factory=StoryOptions)


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
    star: Star | None = field(default=None, compare=False, repr=False)  # the text's, if read

    @property
    def covered(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.covered]

    @property
    def partly(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.status == "partly covered"]

    @property
    def missed(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.status == "missed"]


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


class TokenCache:
    """Token vectors of the model answers' sentences, which recur for every answer: owned
    by whoever grades many answers with one embedder (an Assessor, a batch), passed in."""

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


def grade_many(
    items: Sequence[tuple[str, Question]],
    embedder: Embedder,
    options: GradeOptions | None = None,
    cache: TokenCache | None = None,
) -> list[Grade]:
    """Grade many (answer text, question) pairs with one batched encoder pass; ``cache``
    keeps the model answers' vectors from one call to the next (none: this call only)."""
    o = options or GradeOptions()
    if cache is None:
        cache = TokenCache(embedder)
    elif cache.embedder is not embedder:
        raise ValueError("the cache holds another embedder's vectors")
    texts = [_first_words(t, o.max_words) for t, _ in items]
    refs = {q.model_answer for _, q in items} | {q.text for _, q in items}
    enc = cache.encode(texts + list(refs), refs, o.unit_words)
    told = [t for t, (_, q) in zip(texts, items, strict=True) if q.behavioural and o.stories]
    stars = dict(zip(told, read_star(told, embedder), strict=True))
    out = []
    for text, (full, q) in zip(texts, items, strict=True):
        g = _grade_one(text, q, enc, o, stars.get(text))
        if len(text) < len(full):  # its story was read in the first words only: no star
            cut = f"graded the first {o.max_words:,} words of {len(full.split()):,}"
            g = Grade(g.score, g.coverage, g.key_points, g.hedges, (*g.notes, cut))
        elif text in stars:  # the assessment shows it: no second reading
            g = replace(g, star=stars[text])
        out.append(g)
    return out


def _first_words(text: str, n: int) -> str:
    """``text`` up to the end of its n-th word."""
    for i, m in enumerate(re.finditer(r"\S+", text), 1):
        if i == n:
            return text[: m.end()]
    return text


def _grade_one(
    text: str, q: Question, enc: dict[str, _Encoded], o: GradeOptions, star: Star | None
) -> Grade:
    ans, ref, ask = enc[text], enc[q.model_answer], enc[q.text]
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
    m = _Match(ans, ref, ask, cands, q.model_answer, o)
    _, q_vec = ask.pool([(0, len(q.text))])
    sims = point_vecs @ cand_vecs.T
    given_sims = (point_vecs @ q_vec.T).max(axis=1) if len(q_vec) else np.zeros(len(points))
    whole = set(phrase_ranges(text))
    phrases = np.array([r in whole for r in cands])
    kps: list[KeyPoint] = []
    weights: list[float] = []
    for i, (p, r) in enumerate(zip(point_texts, points, strict=True)):
        recall, by_span, share = m.recall(ref.inside(r))
        sim = float(sims[i].max())
        novel_sim = _beyond(sim, float(given_sims[i]), o.novelty)
        strength = o.recall_weight * recall + (1 - o.recall_weight) * novel_sim
        # the evidence shown carries the point's own content: the span that matches most of it
        # beyond the question, a whole sentence or clause unless a window does clearly better
        a, b = cands[int((by_span + o.prefer_phrases * phrases + 1e-3 * sims[i]).argmax())]
        status = _status(strength, o)
        kps.append(KeyPoint(p, sim, status == "covered", text[a:b], status, recall, strength))
        weights.append(min(1.0, share / o.given_share) if o.given_share else 1.0)
    w = np.array(weights) if sum(weights) > 0 else np.ones(len(kps))
    coverage = float(np.average([k.strength for k in kps], weights=w))
    score = 100.0 * float(np.average([calibrate(k.strength, o) for k in kps], weights=w))
    factor = list_factor(text, q.model_answer, o)
    if factor < 1:
        score *= factor
        notes.append("reads as a list of terms, not an explanation")
    on_topic = _relevance(ans, ref, o)
    if on_topic < 1:
        score *= on_topic
        if on_topic < 0.5 and not (q.behavioural and o.stories):
            notes.append("about something other than what the question asks")
    if q.behavioural and o.stories:
        score, more = _as_story(text, q, score, kps, ans, ref, ask, o, star)
        notes += more
    if score < 35 and _restates(q_words, text):
        notes.append("restates the question: say what you would do and why, not what was asked")
    return Grade(round(score, 1), coverage, tuple(kps), hedges, tuple(notes))


def _as_story(
    text: str,
    q: Question,
    kp_score: float,
    kps: Sequence[KeyPoint],
    ans: _Encoded,
    ref: _Encoded,
    ask: _Encoded,
    o: GradeOptions,
    star: Star | None = None,
) -> tuple[float, list[str]]:
    """A behavioural answer's score: its key points, or its story (behavioural.py)."""
    _, sentences = ans.pool(sentence_ranges(text) or [(0, len(text))])
    _, question = ask.pool([(0, len(q.text))])
    if not len(sentences) or not len(question) or not len(ref.raw):
        return kp_score, []
    whole, model = _unit(ans.raw.mean(axis=0)), _unit(ref.raw.mean(axis=0))
    rel = behavioural.relevance(sentences, question[0], whole, model)
    covered = sum(k.covered for k in kps) / len(kps) if kps else 0.0
    star = star or read_star([text], None)[0]
    return behavioural.score(kp_score, star, rel, o.story, covered)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _relevance(ans: _Encoded, ref: _Encoded, o: GradeOptions) -> float:
    """1 for an answer on the model answer's subject, less (to 0) for one about another."""
    if o.relevant <= o.irrelevant or not len(ans.raw) or not len(ref.raw):
        return 1.0
    a, r = ans.raw.mean(axis=0), ref.raw.mean(axis=0)
    cos = float(a @ r) / max(float(np.linalg.norm(a) * np.linalg.norm(r)), 1e-9)
    return float(np.clip((cos - o.irrelevant) / (o.relevant - o.irrelevant), 0.0, 1.0))


def _beyond(match: float, given: float, novelty: float) -> float:
    """How far ``match`` goes beyond what the question already gives, scaled to 0-1."""
    g = novelty * given
    return max(0.0, match - g) / max(1.0 - g, 1e-6)


class _Match:
    """Token matches between a model answer and an answer, net of what the question gives.

    Each model-answer token is "given" as far as the question's tokens already match
    it; the answer earns, per token, only how far it matches beyond that.
    """

    def __init__(
        self,
        ans: _Encoded,
        ref: _Encoded,
        ask: _Encoded,
        cands: list[Range],
        model_answer: str,
        o: GradeOptions,
    ):
        sim = ref.unit @ ans.unit.T  # model-answer tokens x answer tokens
        given = (ref.unit @ ask.unit.T).max(axis=1) if len(ask.unit) else np.zeros(len(ref.unit))
        self.given = o.novelty * given
        self.weight = np.array(
            [o.function_weight if _is_function(model_answer[s:e]) else 1.0 for s, e in ref.offsets]
        )
        self.best = sim.max(axis=1) if sim.shape[1] else np.zeros(len(ref.unit))
        # per candidate span, each model-answer token's best match inside it
        masks = [ans.inside(r) for r in cands]
        self.by_span = (
            np.stack(
                [sim[:, mk].max(axis=1) if mk.any() else np.zeros(len(ref.unit)) for mk in masks]
            )
            if masks
            else np.zeros((0, len(ref.unit)))
        )

    def recall(self, sel: np.ndarray) -> tuple[float, np.ndarray, float]:
        """A key point's recall beyond the question, each span's share of it, and how much
        of the key point the question leaves to be said (0-1)."""
        w, g = self.weight[sel], self.given[sel]
        room = float((w * (1 - g)).sum())
        total = float(w.sum())
        if room <= 1e-6:
            return 0.0, np.zeros(len(self.by_span)), 0.0
        recall = float((w * np.maximum(0.0, self.best[sel] - g)).sum()) / room
        spans = (np.maximum(0.0, self.by_span[:, sel] - g) * w).sum(axis=1) / room
        return recall, spans, room / total


def _restates(q_words: set[str], text: str) -> bool:
    """Most of the answer's content words (0.7 or more) are the question's."""
    c = [_stem(w) for w in content_words(text)]
    q = {_stem(w) for w in q_words}
    return bool(c) and sum(x in q for x in c) / len(c) >= 0.7


def _stem(word: str) -> str:
    """A crude English stem, enough to see "solves" in "solve" and "updating" in "update"."""
    for end in ("ing", "ed", "es", "s", "e"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[: -len(end)]
    return word


def _own(span: str, q_words: set[str]) -> list[str]:
    """The span's content words that are neither the question's nor a hedge's."""
    return [w for w in content_words(span) if w not in q_words and w not in HEDGE_WORDS]


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
    cache: TokenCache | None = None,
) -> Grade:
    """Grade ``answer_text`` against ``question.model_answer``."""
    return grade_many([(answer_text, question)], embedder, options, cache)[0]


def hint(
    answer_text: str,
    question: Question,
    embedder: Embedder,
    words: int = 6,
    cache: TokenCache | None = None,
) -> str:
    """The first words of the first key point the answer so far has not covered ("" if
    every one is covered)."""
    points = (
        grade(answer_text, question, embedder, cache=cache).key_points
        if answer_text.strip()
        else [
            KeyPoint(question.model_answer[a:b], 0.0, False, "")
            for a, b in sentence_ranges(question.model_answer)
        ]
    )
    for k in points:
        if k.status != "covered":
            w = k.text.split()
            return " ".join(w[:words]) + (" …" if len(w) > words else "")
    return ""
