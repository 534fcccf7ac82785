"""A bank's vocabulary: its technical terms, the words that carry a grade and that speech
recognition knows least (library and product names, acronyms, CamelCase: FastAPI, Pydantic, JWT).

Pure: found in the bank's own text by their spelling, no list to keep up to date.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from mockint.bank import Bank, Question
from mockint.text import FUNCTION_WORDS

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+#.\-]*[A-Za-z0-9+#]|[A-Za-z]")
# a plain word of 5+ letters (which respell joins where heard apart: "stand up" -> "standup")
_SPELLING = re.compile(r"\b[A-Za-z][a-z]{4,}\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")


def shape_is_term(word: str) -> bool:
    """FastAPI, PostgreSQL, JWT, OAuth2, self.retry: spelled unlike a plain English word."""
    inner_caps = any(c.isupper() for c in word[1:])
    return (
        (inner_caps and not word.isupper() and len(word) > 2)
        or (word.isupper() and len(word) >= 2)
        or any(c.isdigit() for c in word)
        or ("." in word.strip("."))
    )


def find_terms(texts: Iterable[str]) -> set[str]:
    """The technical terms of some texts: odd spellings, and capitalised words that stand
    capitalised inside sentences at least as often as they appear in lower case (names:
    Celery, Redis)."""
    lower: dict[str, int] = {}
    named: dict[str, int] = {}  # capitalised inside a sentence
    found: set[str] = set()
    for t in texts:
        for m in _TOKEN.finditer(t):
            w = m.group()
            if len(w) < 2:
                continue
            if shape_is_term(w):
                found.add(w)
            elif w.islower():
                lower[w] = lower.get(w, 0) + 1
            elif (
                w[0].isupper()
                and not _SENTENCE_START.search(t[: m.start()])
                and t[m.start() - 1 : m.start()] != "/"
            ):
                # (after a slash a capital starts no name: "I/O-bound" has no "O-bound")
                named[w] = named.get(w, 0) + 1
    found |= {
        w
        for w, n in named.items()
        if w.lower() not in FUNCTION_WORDS and n >= lower.get(w.lower(), 0)
    }
    return found


def bank_terms(bank: Bank) -> set[str]:
    """The technical terms of a bank's questions and model answers."""
    return find_terms([q.text for q in bank.questions] + [q.model_answer for q in bank.questions])


# a plain word ending in a particle: "set up", "log in", "hand over" are verbs as often as
# "setup", "login", "handover" are nouns, so they are joined only for their own question
_PHRASAL = re.compile(r"[a-z]{3,}(?:up|out|in|off|down|over)")


def bank_words(bank: Bank, terms: AbstractSet[str] | None = None) -> set[str]:
    """The plain words of 5+ letters (lower case) in a bank's questions and model answers,
    but for its terms (``terms``: its :func:`bank_terms`, when the caller has them) and
    words ending in a particle: what :func:`hotwords` joins where heard apart in any
    answer ("time stamps" -> timestamps, "end point" -> endpoint)."""
    words = {
        w.lower()
        for q in bank.questions
        for t in (q.text, q.model_answer)
        for w in _SPELLING.findall(t)
    }
    lower = {t.lower() for t in (bank_terms(bank) if terms is None else terms)}
    return {w for w in words if w not in lower and not _PHRASAL.fullmatch(w)}


def terms_in(text: str, terms: AbstractSet[str]) -> list[str]:
    """The terms a text says, in order, each time it says them (matched as whole words)."""
    return [m.group() for m in _TOKEN.finditer(text) if m.group() in terms]


def heard(term: str, transcript: str) -> bool:
    """Whether a transcript has the term as a word (case and sentence punctuation aside)."""
    words = {w.lower().rstrip(".") for w in _TOKEN.findall(transcript)}
    return term.lower().rstrip(".") in words


def hotwords(
    question: Question, terms: AbstractSet[str], words: AbstractSet[str] = frozenset()
) -> str:
    """What the transcriber is told of an answer to ``question``, in three parts split by
    ';': the terms of the question and its model answer, once each, in order (what it
    leans toward and listens for); the bank's other terms and its ``words``
    (:func:`bank_words`), only joined where heard spelled apart (the letters are heard,
    so no unsaid term can appear: "time stamps" -> timestamps); the question's own
    longer plain words ("asynchronous", "schemas"), joined alike and tried where heard
    words sound like them (:func:`mockint.hearing.respell.respelled`). :func:`hint_terms` and
    :func:`question_words` read it back."""
    said = f"{question.text} {question.model_answer}"
    near = dict.fromkeys(terms_in(said, terms))
    lower = {t.lower() for t in terms}
    own = {w.lower() for w in _SPELLING.findall(said)} - lower
    rest = sorted(t for t in terms if t not in near) + sorted(set(words) - lower - own)
    parts = [", ".join(near), ", ".join(rest), ", ".join(sorted(own))]
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return "; ".join(parts)


def _parts(hints: str | None) -> list[set[str]]:
    """The words of each ';'-separated part of a :func:`hotwords` string."""
    return [{w.strip() for w in p.split(",") if w.strip()} for p in (hints or "").split(";")]


def question_hints(hints: str | None) -> str:
    """The question's part of a :func:`hotwords` string ("Celery, Redis"), in order."""
    return (hints or "").partition(";")[0].strip()


def hint_terms(hints: str | None) -> tuple[set[str], set[str]]:
    """The question's terms and all the terms and words of a :func:`hotwords` string."""
    parts = _parts(hints)
    return parts[0], set().union(*parts)


@functools.lru_cache(maxsize=8)  # the same hotwords come with every phrase of an answer
def question_words(hints: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """The question's own plain words of a :func:`hotwords` string (its third part), and
    all its terms in lower case (which a plain word never replaces)."""
    parts = (hints or "").split(";", 2)
    own = {w.strip() for w in parts[2].split(",") if w.strip()} if len(parts) > 2 else set()
    return frozenset(own), frozenset(k.lower() for k in hint_terms(hints)[1] if is_term(k))


def is_term(word: str) -> bool:
    """Whether a word of a :func:`hotwords` string is a term, not a plain lower-case word."""
    return not (word.isalpha() and word.islower())
