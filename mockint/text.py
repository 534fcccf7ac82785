"""Words, sentences, clauses and spans of an answer: the text rules grading uses.

Pure and model-free: simple patterns for English prose and speech-recognition
text (which may have no punctuation at all).
"""

from __future__ import annotations

import re

Range = tuple[int, int]  # start and end character of a piece of text


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
    "i don't know",
    "i do not know",
    "don't know",
    "not sure",
    "i'm not sure",
    "can't remember",
    "cannot remember",
    "don't remember",
    "no idea",
    "not familiar",
    "never heard",
    "i forgot",
    "haven't used",
    "have not used",
)


def sentence_ranges(text: str) -> list[Range]:
    """Where each sentence of ``text`` lies (simple rules; no model)."""
    cuts = [(m.start(), m.end()) for m in _SENT_RE.finditer(text)]
    bounds = zip([0] + [e for _, e in cuts], [s for s, _ in cuts] + [len(text)], strict=True)
    out: list[Range] = []
    for start, end in bounds:
        start, end = _strip(text, start, end)
        if start >= end:
            continue
        # the tail only (an abbreviation is short): searching the whole growing sentence
        # was quadratic ("I. I. I. ..." of 120 KB took minutes)
        if out and _ABBREV.search(text[max(out[-1][0], out[-1][1] - 8) : out[-1][1]]):
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
    c = [w for w in content_words(span) if w not in HEDGE_WORDS]
    return len(c) >= 3 and sum(w in q for w in c) / len(c) >= share


HEDGE_WORDS = frozenset(w for h in HEDGES for w in h.split())


def fluency(text: str) -> float:
    """Share of function words: ~0.4-0.5 in sentences, near 0 in a list of terms."""
    w = words(text)
    return sum(x in FUNCTION_WORDS for x in w) / len(w) if w else 0.0
