"""Sounding out a bank's terms in what was heard: which heard words sound like a term
(by phonemes), and the candidates a transcript could hold instead.

Pure but for the phonemizer passed in; the vocabulary comes from :mod:`mockint.hearing.vocabulary`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from mockint.text import FUNCTION_WORDS


def _key(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalnum())


@functools.lru_cache(maxsize=8)  # the same terms come with every phrase of an answer
def _join_keys(terms: frozenset[str]) -> dict[str, str]:
    """Each term (of 4+ letters and digits) by its letters and digits; a dotted term also
    by its letters with "dot" said for each "."."""
    keys = {_key(t): t for t in terms if len(_key(t)) >= 4}
    keys.update({_key(t.replace(".", " dot ")): t for t in terms if "." in t.strip(".")})
    return keys


def joins(words: Sequence[str], terms: AbstractSet[str]) -> list[tuple[int, int, str]]:
    """Where words spell a term apart ("fast API" -> FastAPI, "Postgre SQL" -> PostgreSQL,
    "self dot retry" -> self.retry; one word only across a hyphen: "Fast-API"): (first
    word, how many, the term with the last word's closing punctuation). The letters are
    the speaker's, only the spacing (and a "dot" said for ".") is the term's, so nothing
    the answer did not say can appear. Never across a clause."""
    keys = _join_keys(frozenset(terms))
    out: list[tuple[int, int, str]] = []
    i = 0
    while keys and i < len(words):
        for n in (6, 5, 4, 3, 2, 1):  # "uvicorn dot workers dot uvicorn worker"
            window = words[i : i + n]
            if len(window) < n or (n == 1 and "-" not in window[0]):
                continue  # one word is rejoined only across a hyphen
            if any(w[-1:] in ".,;:!?" for w in window[:-1]):
                continue  # a word ends a clause: the next one starts another
            raw = " ".join(window)
            bare = raw.rstrip(".,;:!?")
            term = keys.get(_key(raw))
            if term is not None and bare != term:
                out.append((i, n, term + raw[len(bare) :]))
                i += n
                break
        else:
            i += 1
    return out


def _distance(a: str, b: str) -> float:
    """Levenshtein distance between two strings."""
    return _distance_within(a, b, float("inf"))


_VOWELS = "aeiouæɑɒɔəɚɛɜɝɪʊʌᵻɐ"
# consonants heard for one another: voiced and voiceless twins, nasals, liquids, glides
_KIN = ("pb", "tdɾ", "kgɡ", "fv", "θð", "sz", "ʃʒ", "mnŋ", "lɹ", "wʊ", "jiɪ")
_NEAR = frozenset((x, y) for group in (_VOWELS, *_KIN) for x in group for y in group)
_REDUCED = frozenset("əᵻɪɐ")


def full_vowels(phonemes: str) -> int:
    """How many syllables of a phoneme string have a full vowel (not only a reduced one:
    "router is", ɹaʊɾɚɹɪz, has two, as routers has; "endpoint to" three, endpoints two)."""
    nuclei = re.findall(f"[{_VOWELS}ː]+", phonemes)
    return sum(1 for n in nuclei if set(n) - _REDUCED - {"ː"})


def _likeness(a: str, b: str, most: float = float("inf")) -> float:
    """An edit distance between phoneme strings in which near sounds cost half: a vowel
    for another, a consonant for its kin (d/t, s/z, m/n), a reduced vowel put in or left
    out; length marks are not counted. "3D's" (θɹiːdiːz) is 1.5 from Redis (ɹᵻdiz), 4 by
    :func:`_distance`. Past ``most`` it stops and gives infinity."""
    a, b = a.replace("ː", ""), b.replace("ː", "")
    gaps = [0.5 if y in _REDUCED else 1.0 for y in b]
    prev = [0.0]
    for g in gaps:
        prev.append(prev[-1] + g)
    for x in a:
        gx = 0.5 if x in _REDUCED else 1.0
        cur = [prev[0] + gx]
        for j, y in enumerate(b):
            swap = 0.0 if x == y else 0.5 if (x, y) in _NEAR else 1.0
            cur.append(min(prev[j + 1] + gx, cur[j] + gaps[j], prev[j] + swap))
        if min(cur) > most:
            return float("inf")
        prev = cur
    return prev[-1]


# heard words this close to a term (phoneme edits per phoneme of the term) are not asked
# about where they are one common word: the audio cannot tell "course" from CORS
SOUND_ALIKE = 0.25
# how far heard words may sound from a term to be asked about (the audio decides)
CHECKED_SOUND_ALIKE = 0.7
# ... by :func:`_likeness` per phoneme, times this (its half-cost edits make it smaller:
# "readings" is 0.40 from Redis by likeness, 0.8 by plain edits)
LIKENESS_SCALE = 1.75
# terms shorter than this many phonemes are too easy to find by accident
MIN_PHONEMES = 4


def _words(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Each word's span in ``text``, and the word bare (punctuation off, lower case)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    return spans, [w.lower() for w in _as_spelled(text, spans)]


def _as_spelled(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Each word of ``text`` (by its span) as spelled, its punctuation off."""
    return [text[a:b].strip(".,;:!?\"'()") for a, b in spans]


def _windows_at(
    i: int,
    text: str,
    spans: list[tuple[int, int]],
    bare: list[str],
    lower_terms: AbstractSet[str],
    common: AbstractSet[str],
) -> Iterator[tuple[int, list[str], set[str]]]:
    """The one- to three-word windows from word ``i`` a term may have been heard as: within
    a clause, holding a word other than a function word or a term, each with the terms it
    holds; a single word in ``common`` never ("of course" stays, not "of CORS")."""
    for n in (1, 2, 3):
        window = spans[i : i + n]
        words = bare[i : i + n]
        if len(window) < n or any(text[b - 1] in ".,;:!?" for _, b in window[:-1]):
            return  # past the end, or across a clause
        held = {w for w in words if w in lower_terms}
        if all(w in FUNCTION_WORDS for w in words):
            continue
        if held and all(w in held or w in FUNCTION_WORDS for w in words):
            continue  # "URL" is not "URLs", nor "the SQL" MySQL
        if n == 1 and words[0] in common:
            continue
        yield n, words, held


def _sounds(terms: AbstractSet[str], phonemes: Callable[[str], str]) -> list[tuple[str, str]]:
    """Each term with its phonemes, those too short to find by sound left out."""
    keyed = [(t, phonemes(t)) for t in terms]
    return [(t, k) for t, k in keyed if len(k) >= MIN_PHONEMES]


def _put(text: str, spans: list[tuple[int, int]], i: int, n: int, term: str) -> str:
    """The term in place of words i..i+n, the last word's closing punctuation kept."""
    last = text[spans[i + n - 1][0] : spans[i + n - 1][1]]
    return term + last[len(last.rstrip(".,;:!?")) :]


@dataclass(frozen=True)
class Candidate:
    """A term that words of a transcript may have been misheard for."""

    start: int  # the first word's index
    words: int  # how many words it replaces
    heard: str  # those words, as heard
    term: str
    distance: float  # phoneme edits per phoneme of the term
    text: str  # the whole transcript with the term in their place


def term_candidates(
    text: str,
    terms: AbstractSet[str],
    phonemes: Callable[[str], str],
    max_distance: float = CHECKED_SOUND_ALIKE,
    common: AbstractSet[str] = frozenset(),
    limit: int | None = 8,
    within: AbstractSet[int] | None = None,
) -> list[Candidate]:
    """Every one- to three-word window of ``text`` that sounds within ``max_distance`` of
    one of ``terms`` ("authentic" for Pydantic, "all two" for OAuth2) by plain phoneme
    edits or by :func:`_likeness` (times :data:`LIKENESS_SCALE`: "3D's" for Redis), the
    closest first, at most ``limit`` (None: all); with ``within``, only windows holding
    one of those words (by index). Too loose to take on sound alone: :func:`supported`
    keeps those the audio bears out."""
    keyed = _sounds(terms, phonemes)
    if not keyed or not text:
        return []
    spans, bare = _words(text)
    lower_terms = {t.lower() for t in terms}
    found = []
    for i in range(len(spans)):
        for n, words, held in _windows_at(i, text, spans, bare, lower_terms, common):
            if within is not None and not any(k in within for k in range(i, i + n)):
                continue
            if held and n != 2:
                continue  # no term but one holding it at an end (:func:`_holds`)
            heard_key = phonemes(" ".join(words))
            for term, key in keyed:
                if held and not _holds(term, words, held):
                    continue  # a term heard is given up only for a longer one holding it
                d = sound_distance(heard_key, key, max_distance)
                if d <= max_distance:
                    a, b = spans[i][0], spans[i + n - 1][1]
                    new = text[:a] + _put(text, spans, i, n, term) + text[b:]
                    found.append(Candidate(i, n, text[a:b], term, round(d, 4), new))
    found.sort(key=lambda c: (c.distance, c.start))
    return found[:limit]


def _distance_within(a: str, b: str, most: float) -> float:
    """Levenshtein distance between two strings, or infinity as soon as it must be over
    ``most`` (each row of the table holds a cell of the cheapest path, which never gets
    cheaper)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > most:
            return float("inf")
        prev = cur
    return prev[-1]


def sound_distance(heard: str, key: str, max_distance: float) -> float:
    """How far heard phonemes sound from a term's (``key``), per phoneme of the term: by
    plain edits, or nearer by :func:`_likeness` (times :data:`LIKENESS_SCALE`: "3D's" for
    Redis); exact within ``max_distance``, past it only known to be past it (infinity
    where the lengths alone put it there)."""
    if _too_far(heard, key, max_distance):
        return float("inf")
    d = _distance_within(heard, key, max_distance * len(key)) / len(key)
    size = len(key.replace("ː", ""))
    most = min(d, max_distance) * size / LIKENESS_SCALE
    return min(d, LIKENESS_SCALE * _likeness(heard, key, most) / size)


class SoundIndex:
    """Words with their phonemes, sounded out once, for :meth:`nearest`."""

    def __init__(self, words: AbstractSet[str], phonemes: Callable[[str], str]):
        self.keyed = _sounds(words, phonemes)
        # what nearest() found, by its arguments: a phrase's candidates overlap, and
        # about half the windows they weigh are weighed again (bounded, kept per index;
        # each set of words skipped kept once, however many windows it comes with)
        self._found: dict[tuple[str, float, frozenset[str]], float] = {}
        self._skips: dict[frozenset[str], frozenset[str]] = {}

    def nearest(
        self, heard: str, max_distance: float, skip: AbstractSet[str] = frozenset()
    ) -> float:
        """The least :func:`sound_distance` from ``heard`` to a word (but those whose lower
        case is in ``skip``) if within ``max_distance``; over it (or infinity) if none."""
        skipped = frozenset(skip)
        asked = (heard, max_distance, self._skips.setdefault(skipped, skipped))
        found = self._found.get(asked)  # (one lookup: another thread may clear it)
        if found is not None:
            return found
        best = float("inf")
        for word, key in self.keyed:
            if word.lower() not in skip:
                best = min(best, sound_distance(heard, key, min(best, max_distance)))
        if len(self._found) >= 16384:
            self._found.clear()
            self._skips.clear()
        self._found[asked] = best
        return best

    def near(
        self, heard: str, max_distance: float, skip: AbstractSet[str] = frozenset()
    ) -> list[tuple[float, str]]:
        """The words (but those whose lower case is in ``skip``) within ``max_distance``
        of ``heard``, with their :func:`sound_distance`, the nearest first."""
        found = [(sound_distance(heard, key, max_distance), w) for w, key in self.keyed]
        return sorted((d, w) for d, w in found if d <= max_distance and w.lower() not in skip)


def rival_readings(
    c: Candidate,
    text: str,
    rivals: SoundIndex,
    phonemes: Callable[[str], str],
    skip: AbstractSet[str] = frozenset(),
    limit: int = 8,
) -> list[Candidate]:
    """Other things a bank names that the words a candidate replaces sound as, at least as
    near as its term (``rivals``, but those in ``skip``): the words alone, or with the word
    after or before them within the clause ("pitus" may be pytest, "pitus mock"
    pytest-mock, as much as Python: the audio decides). Each is a reading the audio is
    asked about beside the term; the nearest ``limit``, each (case aside) once."""
    spans, bare = _words(text)
    out: dict[str, Candidate] = {}  # by the reading in lower case: JSON is json
    for start, n in ((c.start, c.words), (c.start, c.words + 1), (c.start - 1, c.words + 1)):
        window = spans[start : start + n] if start >= 0 else []
        if len(window) < n or any(text[b - 1] in ".,;:!?" for _, b in window[:-1]):
            continue  # past either end, or across a clause
        heard = " ".join(bare[start : start + n])
        # the term's distance was rounded to 4 places: a reading as near is within that
        for d, word in rivals.near(phonemes(heard), c.distance + 5e-5, skip):
            low = word.lower()
            if low != heard and low != c.term.lower() and (low not in out or d < out[low].distance):
                a, b = window[0][0], window[-1][1]
                new = text[:a] + _put(text, spans, start, n, word) + text[b:]
                out[low] = Candidate(start, n, text[a:b], word, round(d, 4), new)
    return sorted(out.values(), key=lambda r: (r.distance, r.start))[:limit]


def _holds(term: str, words: Sequence[str], held: AbstractSet[str]) -> bool:
    """Whether two heard words, one of them a term ``held``, may be a longer term that
    holds it at the same end: "Pulsker SQL" may be PostgreSQL, never Redis, and "wrote the
    SQL" is no term."""
    low = term.lower()
    if len(words) != 2 or len(held) != 1 or low in held:
        return False
    (h,) = held
    return (words[1] == h and low.endswith(h)) or (words[0] == h and low.startswith(h))


def _too_far(heard: str, key: str, max_distance: float) -> bool:
    """Whether the lengths alone put ``heard`` past ``max_distance`` from ``key`` by both
    measures of :func:`term_candidates`: a plain edit per phoneme more or less, half an
    edit by :func:`_likeness` (its cheapest: a reduced vowel put in or left out)."""
    size = len(key.replace("ː", ""))
    plain = abs(len(heard) - len(key)) / len(key)
    near = LIKENESS_SCALE * 0.5 * abs(len(heard.replace("ː", "")) - size) / size
    return min(plain, near) > max_distance


def supported(candidates: Sequence[Candidate], gains: Sequence[float]) -> list[Candidate]:
    """The candidates the audio prefers: ``gains`` (the decoder's log-probability, given the
    audio, of each candidate's text less that of the text heard) above nothing (a tie keeps
    what was heard), the best first, none overlapping one taken before it."""
    taken: list[Candidate] = []
    used: set[int] = set()
    for gain, c in sorted(zip(gains, candidates, strict=True), key=lambda gc: -gc[0]):
        where = set(range(c.start, c.start + c.words))
        if gain > 0 and not where & used:
            used |= where
            taken.append(c)
    return taken


def put_terms(text: str, taken: Sequence[Candidate]) -> str:
    """``text`` with each candidate's term in place of the words it was heard as."""
    if not taken:
        return text
    spans, _ = _words(text)
    at = {c.start: c for c in taken}
    out, i = [], 0
    while i < len(spans):
        c = at.get(i)
        if c is None:
            out.append(text[spans[i][0] : spans[i][1]])
            i += 1
        else:
            out.append(_put(text, spans, i, c.words, c.term))
            i += c.words
    return " ".join(out)
