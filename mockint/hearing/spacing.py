"""The spacing step: where words heard apart spell one of the bank's technical terms.

"fast API" is FastAPI and "Postgre SQL" PostgreSQL: the letters are the speaker's, only
the spacing is the term's, so the join adds nothing the answer did not say. Words heard
as ordinary English words stay apart ("a test client" is not TestClient), but for one
case: a question's own CamelCase name said word by word in a clause that holds another
technical term heard as such ("Django filter backend for exact filters, search filter
for text search"). The audio cannot tell "search filter" from SearchFilter; the clause
can. A name holding a function word ("is authenticated", "linked in") is never joined so.

Pure: it takes the words' texts and word lists, and gives spans to join.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from mockint.text import FUNCTION_WORDS

_EDGE = ".,;:!?\"'()"
_CLOSERS = "\"')]\u201d\u2019"  # what may follow a sentence's end mark
# a CamelCase name of two or more capitalised words: SearchFilter, ModelViewSet
_CAMEL = re.compile(r"(?:[A-Z][a-z]+){2,}")
_PART = re.compile(r"[A-Z][a-z]+")


def as_compared(word: str) -> str:
    """A word as compared: lower case, its punctuation off."""
    return word.strip(_EDGE).lower()


def technical(term: str, english: AbstractSet[str]) -> bool:
    """Whether a bank's term is technical (CamelCase, an acronym, a dotted name, a product's
    name), not an ordinary English word (of ``english``, lower case) that a bank happens to
    capitalise: Framework, Platform, Toolbar are words; Gunicorn, Dockerfile are not."""
    from mockint.hearing.vocabulary import shape_is_term

    return shape_is_term(term) or (term[:1].isupper() and term.lower() not in english)


def join_spans(
    words: Sequence[str],
    terms: Sequence[str],
    english: AbstractSet[str],
    plain: AbstractSet[str],
    asked: AbstractSet[str] = frozenset(),
) -> list[tuple[int, int, str]]:
    """Where the words (as heard) spell a technical term of ``terms`` apart: (first word,
    how many, the term as shown). Not where they are all ``plain`` (common) words ("red
    is" is not Redis, "be at" not BEAT), nor where each is an ordinary English word heard
    as one ("a test client" is not TestClient), nor where a piece holds an apostrophe the
    term lacks ("J's on" is not JSON): said apart, they are what was said. A piece heard
    as no ordinary English word ("Postgre", "api", "docker"), as an acronym ("API") or as
    a name (a capital inside a sentence: "Cloud"), or a "dot" said for a dotted name
    ("transaction dot atomic"), marks the words as the term's; so does a CamelCase name
    of the question's (``asked``) said word by word beside a technical term
    (:func:`said_as_name`)."""
    from mockint.hearing.terms import joins

    keys = frozenset(t for t in terms if technical(t, english))
    spans = []
    for i, n, shown in joins(words, keys):
        part = words[i : i + n]
        if _said_apart(part, shown, plain, english, start=_starts(words, i)):
            name = shown.rstrip(_EDGE)
            if name not in asked or name.lower() in english:
                continue  # not the question's, or an English word ("DataBase")
            if not said_as_name(part, name, _clause(words, i, n), keys):
                continue
        spans.append((i, n, shown))
    return spans


def name_parts(term: str) -> list[str] | None:
    """A CamelCase name's words, lower case ("ModelViewSet": model, view, set); None for
    any other term (acronyms, dotted or snake_case names, one word)."""
    if not _CAMEL.fullmatch(term):
        return None
    return [p.lower() for p in _PART.findall(term)]


def said_as_name(
    heard: Sequence[str], term: str, others: Sequence[str], technical: AbstractSet[str]
) -> bool:
    """Whether words ``heard`` that say a CamelCase ``term`` word by word stand for it:
    each word one of its words in order, no function word ("is authenticated", "linked
    in" are said as English) and bare (no apostrophe, quote or bracket: "tasks'",
    "'test client'"), and another word said with them (``others``) a ``technical``
    term as written ("Django", "CDN")."""
    parts = name_parts(term)
    if parts is None or any(p in FUNCTION_WORDS for p in parts):
        return False
    bare = [w.rstrip(".,;:!?") for w in heard]
    if not all(w.isalpha() for w in bare) or [w.lower() for w in bare] != parts:
        return False
    return any(_unowned(w) in technical for w in others)


def _clause(words: Sequence[str], i: int, n: int) -> list[str]:
    """The other words of the clause holding words ``i`` to ``i + n``: between marks that
    end a sentence or set a clause apart (. ? ! : ;), commas aside."""

    def ends(w: str) -> bool:
        return w.rstrip(_CLOSERS).endswith((".", "?", "!", ":", ";"))

    start, stop = i, i + n - 1
    while start > 0 and not ends(words[start - 1]):
        start -= 1
    while stop < len(words) - 1 and not ends(words[stop]):
        stop += 1
    return [*words[start:i], *words[i + n : stop + 1]]


def _unowned(word: str) -> str:
    """A word without its punctuation and a possessive 's ("FastAPI's": FastAPI)."""
    w = word.strip(_EDGE)
    return w[:-2] if w.endswith(("'s", "\u2019s")) else w


def _said_apart(
    part: Sequence[str],
    term: str,
    plain: AbstractSet[str],
    english: AbstractSet[str],
    start: bool,
) -> bool:
    """Whether words that spell ``term`` apart are what was said: all ``plain`` words (none
    heard as an acronym), a piece with an apostrophe the term has not, a number heard apart
    from a word (:func:`_number_apart`), or each piece (across hyphens too) one of ``plain``
    or ``english`` heard in lower case (but for a capital where a sentence ``start``-s),
    with no "dot" said for a dotted term."""
    bare = {as_compared(w) for w in " ".join(part).split()}
    if bare <= plain and not any(_acronym(w) for w in part):
        return True  # whatever their case ("Red is"), but "AP" in "fast AP I" is the term's
    if "'" not in term and any("'" in w or "\u2019" in w for w in part):
        return True
    if "." in term.rstrip(".,;:!?") and "dot" in bare:
        return False
    if _number_apart(part):
        return True
    pieces = [p for w in part for p in w.split("-") if as_compared(p)]  # "test- client"
    if _word_for_letters(pieces, term, (plain, english), start):
        return True
    return all(_ordinary(p, plain, english, start and k == 0) for k, p in enumerate(pieces))


def _word_for_letters(
    pieces: Sequence[str],
    term: str,
    lexicon: tuple[AbstractSet[str], AbstractSet[str]],
    start: bool,
) -> bool:
    """Whether a piece is an ordinary word of two letters or more (of either word list),
    heard in lower case but for a capital where a sentence ``start``-s, where the term
    spells capitals letter by letter: "as GI" ("As GI") is the word "as" said, not the
    letters of ASGI ("fast AP I" is FastAPI: "fast" stands for "Fast", a word)."""
    letters = [c for c in term if c.isalnum()]
    heard = ["".join(c for c in as_compared(p) if c.isalnum()) for p in pieces]  # "G.I.": gi
    if "".join(heard) != "".join(letters).lower():
        return False  # not the term letter for letter (a "dot" said for a dotted term)
    at = 0
    for k, (p, w) in enumerate(zip(pieces, heard, strict=True)):
        span = letters[at : at + len(w)]
        at += len(w)
        rest = p[1:] if k == 0 and start else p
        word = w in lexicon[0] or w in lexicon[1]
        if len(w) >= 2 and rest == rest.lower() and word and all(c.isupper() for c in span):
            return True
    return False


def _number_apart(words: Sequence[str]) -> bool:
    """Whether a number was heard as a word apart from a word or letter that text writes
    as a word ("a flake 8", "size S 3"): a count said beside it, not flake8 or S3. Beside
    a word that is no word at all ("OAuth 2", "Boto 3"), or joined to it by a hyphen
    ("flake-8"), it is the term's."""
    from mockint.hearing.phonetic import known_words

    bare = [as_compared(w) for w in words]
    if not any(b.isdigit() for b in bare):
        return False
    known = known_words()
    return any(b in known for b in bare if b and not b.isdigit())


def _acronym(word: str) -> bool:
    """Whether a word was heard as an acronym: two letters or more, all capitals."""
    w = word.strip(_EDGE)
    return len(w) >= 2 and w.isalpha() and w.isupper()


def _starts(words: Sequence[str], k: int) -> bool:
    """Whether word ``k`` starts a sentence (or the phrase)."""
    if k == 0:
        return True
    before = words[k - 1].rstrip(_CLOSERS)
    return before[-1:] in (".", "?", "!")


def _ordinary(word: str, plain: AbstractSet[str], english: AbstractSet[str], start: bool) -> bool:
    """Whether a word was heard as an ordinary English word: one of ``plain`` or
    ``english`` (lower case), in lower case but for a first capital where a sentence
    starts (or a letter)."""
    w = word.strip(_EDGE)
    rest = w[1:] if start or len(w) == 1 else w
    low = w.lower()
    return (low in plain or low in english) and rest == rest.lower()
