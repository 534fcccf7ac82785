"""A bank's vocabulary: its technical terms, the words that carry a grade and that speech
recognition knows least (library and product names, acronyms, CamelCase: FastAPI, Pydantic, JWT).

Pure: found in the bank's own text by their spelling, no list to keep up to date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from mockint.bank import Bank, Question
from mockint.text import FUNCTION_WORDS

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+#.\-]*[A-Za-z0-9+#]|[A-Za-z]")
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


# the most words of a bank the correction weighs (the resume bank has ~2,500): each is
# sounded out once, and the words travel with every phrase to the model worker
MAX_BANK_WORDS = 20_000


def bank_words(bank: Bank) -> frozenset[str]:
    """The words of a bank's questions and model answers, lower case ("pytest", "retry",
    "redis"): the words the bank itself uses for what it talks about; the
    :data:`MAX_BANK_WORDS` it uses most where it has more."""
    from collections import Counter

    texts = [t for q in bank.questions for t in (q.text, q.model_answer)]
    counts = Counter(m.group().lower() for t in texts for m in _TOKEN.finditer(t))
    return frozenset(w for w, _ in counts.most_common(MAX_BANK_WORDS))


def terms_in(text: str, terms: AbstractSet[str]) -> list[str]:
    """The terms a text says, in order, each time it says them (matched as whole words)."""
    return [m.group() for m in _TOKEN.finditer(text) if m.group() in terms]


# words and numbers as :func:`heard` compares them ("Celery Beat", "PEP 8", "CI/CD")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.\-]*[A-Za-z0-9+#]|[A-Za-z0-9]")


def heard(term: str, transcript: str) -> bool:
    """Whether a transcript has the term as a word, or a term of several words as those
    words in a row (case, sentence punctuation, hyphens and the separators of "CI/CD"
    aside: none is heard, so "API-only" has API and "pytest mock" pytest-mock)."""
    want = [p for w in _WORD.findall(term) for p in w.lower().rstrip(".").split("-") if p]
    got = [p for w in _WORD.findall(transcript) for p in w.lower().rstrip(".").split("-") if p]
    n = len(want)
    return n > 0 and any(got[i : i + n] == want for i in range(len(got) - n + 1))


@dataclass(frozen=True)
class Hints:
    """What the transcriber is told of an answer's question (picklable: it travels to the
    model worker). The correction replaces heard words only by :attr:`terms`, and only
    where the audio prefers them; it joins words heard apart only into :attr:`joined`."""

    # the technical terms of the question and its model answer, once each, in order: what
    # an engine may lean its decoding toward and the correction listens for
    terms: tuple[str, ...] = ()
    # every technical term of the bank: joined where heard spelled apart ("fast API" ->
    # FastAPI); the letters are the speaker's, only the spacing is the term's
    joined: tuple[str, ...] = ()
    # the bank's own words, lower case (:func:`bank_words`): words heard as some of them are
    # not asked about as a term that does not spell them ("Pytest" is not Python)
    words: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.terms or self.joined)


def hints_for(question: Question, terms: AbstractSet[str], words: frozenset[str]) -> Hints:
    """The :class:`Hints` of an answer to ``question``: the bank's ``terms``
    (:func:`bank_terms`) that its text and model answer use, all of them to join, and the
    bank's ``words`` (:func:`bank_words`) to keep as heard. The model answer's plain words
    are never put in a transcript: it is the grading key, not what was said."""
    said = f"{question.text} {question.model_answer}"
    near = tuple(dict.fromkeys(terms_in(said, terms)))
    return Hints(near, tuple(sorted(set(terms) | set(near))), words)
