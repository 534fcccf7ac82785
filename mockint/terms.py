"""A bank's technical terms: the words that carry a grade and that speech recognition
knows least (library and product names, acronyms, CamelCase: FastAPI, Pydantic, JWT).

Pure: found in the bank's own text by their spelling, no list to keep up to date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from mockint.bank import Bank, Question
from mockint.text import FUNCTION_WORDS

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+#.\-]*[A-Za-z0-9+#]|[A-Za-z]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")


def _shape_is_term(word: str) -> bool:
    """FastAPI, PostgreSQL, JWT, OAuth2, self.retry: spelled unlike a plain English word."""
    inner_caps = any(c.isupper() for c in word[1:])
    return (inner_caps and not word.isupper() and len(word) > 2) or (
        word.isupper() and len(word) >= 2) or any(c.isdigit() for c in word) or (
        "." in word.strip("."))  # fmt: skip


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
            if _shape_is_term(w):
                found.add(w)
            elif w.islower():
                lower[w] = lower.get(w, 0) + 1
            elif w[0].isupper() and not _SENTENCE_START.search(t[: m.start()]):
                named[w] = named.get(w, 0) + 1
    found |= {w for w, n in named.items()
              if w.lower() not in FUNCTION_WORDS and n >= lower.get(w.lower(), 0)}  # fmt: skip
    return found


def bank_terms(bank: Bank) -> set[str]:
    """The technical terms of a bank's questions and model answers."""
    return find_terms([q.text for q in bank.questions] + [q.model_answer for q in bank.questions])


def terms_in(text: str, terms: AbstractSet[str]) -> list[str]:
    """The terms a text says, in order, each time it says them (matched as whole words)."""
    return [m.group() for m in _TOKEN.finditer(text) if m.group() in terms]


def heard(term: str, transcript: str) -> bool:
    """Whether a transcript has the term as a word (case and sentence punctuation aside)."""
    words = {w.lower().rstrip(".") for w in _TOKEN.findall(transcript)}
    return term.lower().rstrip(".") in words


def hotwords(question: Question, terms: AbstractSet[str]) -> str:
    """The terms an answer to ``question`` is likely to use: those of the question and its
    model answer, once each, in order (what the transcriber leans toward)."""
    said = terms_in(f"{question.text} {question.model_answer}", terms)
    return ", ".join(dict.fromkeys(said))


def _key(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalnum())


def respell(text: str, terms: AbstractSet[str]) -> str:
    """Join words that spell a term apart ("fast API" -> "FastAPI", "Postgre SQL" ->
    "PostgreSQL"): the letters are the speaker's, only the spacing is the term's, so
    nothing the answer did not say can appear."""
    keys = {_key(t): t for t in terms if len(_key(t)) >= 4}
    if not keys:
        return text
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    out, i = [], 0
    while i < len(spans):
        for n in (3, 2):
            window = spans[i : i + n]
            if len(window) < n:
                continue
            raw = text[window[0][0] : window[-1][1]]
            if any(text[a:b][-1] in ".,;:!?" for a, b in window[:-1]):
                continue  # a word ends a clause: the next one starts another
            term = keys.get(_key(raw))
            if term is not None and raw.rstrip(".,;:!?") != term:
                tail = raw[len(raw.rstrip(".,;:!?")) :]
                out.append(term + tail)
                i += n
                break
        else:
            out.append(text[spans[i][0] : spans[i][1]])
            i += 1
    return " ".join(out)
