"""The correction: a step after the engine, which puts back the bank's technical terms the
recogniser misheard, and only where it heard them or the audio itself prefers them.

The rule the transcript keeps: every word in it was heard, or the audio prefers it. Two
changes are made, and nothing else:

- words heard spelling one of the bank's technical terms apart are joined into it ("fast
  API" -> FastAPI): the letters were heard, only the spacing is the term's. Never into an
  ordinary English word ("a synchronous" stays two words); ordinary words stay apart too
  ("a test client"), but for a question's CamelCase name said word by word among other
  technical terms heard as such (:mod:`mockint.hearing.spacing`).
- heard words that sound like one of the question's terms ("readies" for Redis), one
  of them heard unsurely, are replaced by it where the decoder, given the audio, scores
  the phrase with the term higher than the phrase as heard: no allowance for the
  decoder's taste in words, no margin in the term's favour, each place checked on its
  own.

Every change keeps what was heard in :attr:`mockint.transcript.Word.heard`; word times
stay as heard (a joined word spans the words it joins).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mockint.hearing.spacing import as_compared, join_spans
from mockint.hearing.terms import CHECKED_SOUND_ALIKE, Candidate, SoundIndex
from mockint.hearing.transcribe import Bounded, Engine, Scorer, Transcriber
from mockint.hearing.vocabulary import Hints
from mockint.transcript import Segment, Transcript, Word


@dataclass(frozen=True)
class CorrectionOptions:
    """What the correction may do (picklable: it travels to the model worker)."""

    # join words heard spelling a technical term of the bank apart ("fast API" -> FastAPI)
    join: bool = True
    # join a question's CamelCase name said as its words among technical terms
    names: bool = True
    # ask the audio about the question's terms where heard words sound like one
    sound: bool = True
    # how far words heard surely may sound from a term to be asked about, with
    # ``ask_sure`` (phoneme edits per phoneme of the term); the audio, not this, decides
    sound_alike: float = CHECKED_SOUND_ALIKE
    # at most this many terms asked about a phrase: each costs a decoder pass (~25-40 ms)
    candidates: int = 8
    # a word heard with a probability under this is unsure ...
    unsure: float = 0.7
    # ... and asked about where it sounds this far from a term, even a common word
    unsure_sound_alike: float = 0.8
    # take a term only where the audio prefers it to the bank's other things the same
    # words sound as at least as nearly ("jithub": GitHub, not only Python)
    rivals: bool = True
    # ask about words each heard surely too (within ``sound_alike``): off, as on the
    # development set none of 232 such candidates scored higher than as heard, and each
    # cost a decoder pass (docs/measurements.md)
    ask_sure: bool = False


class Corrector(Transcriber):
    """A transcriber that is an engine and the correction after it: the engine decodes and
    scores (:meth:`mockint.hearing.transcribe.Engine.hear`), :func:`corrected` decides."""

    def __init__(self, engine: Engine, options: CorrectionOptions | None = None):
        self.engine = engine
        self.options = options or CorrectionOptions()
        self.name = engine.name
        self.sha256 = engine.sha256  # the engine's, once it has loaded its model

    def load(self) -> Any:
        """Load the engine's model now (it is otherwise loaded on first use)."""
        model = self.engine.load()
        self.sha256 = self.engine.sha256
        return model

    def transcribe(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Transcript:
        """The engine's transcript, corrected with the question's ``hints``."""
        heard = self.engine.hear(audio, hints, voiced)
        self.sha256 = self.engine.sha256
        return corrected(heard.transcript, hints, heard.score, self.options)

    def transcribe_many(
        self, items: Sequence[tuple[np.ndarray, Hints | None, np.ndarray | None]]
    ) -> list[Transcript]:
        """:meth:`transcribe` of each (audio, hints, voiced), decoded together where the
        engine can (:meth:`mockint.hearing.transcribe.Engine.hear_many`)."""
        heard = self.engine.hear_many(items)
        self.sha256 = self.engine.sha256
        return [
            corrected(h.transcript, hints, h.score, self.options)
            for h, (_, hints, _) in zip(heard, items, strict=True)
        ]


def corrected(
    t: Transcript,
    hints: Hints | None,
    score: Scorer | None = None,
    options: CorrectionOptions | None = None,
) -> Transcript:
    """The transcript with the bank's terms put back: words spelling a term apart joined,
    and, with ``score`` (the decoder's log-probability of a text given the audio heard),
    words that sound like one of the question's terms replaced where the audio scores the
    phrase with the term higher than as heard. Changed words keep what was heard."""
    o = options or CorrectionOptions()
    if not hints or not t.words:
        return t
    from mockint.hearing.phonetic import common_words, english_words, phonemizer
    from mockint.hearing.terms import FUNCTION_WORDS

    common, english = common_words(), english_words()
    words = list(t.words)
    if o.join:
        asked = frozenset(hints.terms) if o.names else frozenset()
        texts = [w.text for w in words]
        words = put(words, join_spans(texts, hints.joined, english, common | FUNCTION_WORDS, asked))
    phonemes = phonemizer()
    if o.sound and score is not None and phonemes is not None and hints.terms:
        lexicon = _Lexicon(common, english, hints.words, _rivals(hints.joined, hints.words))
        words = _sounded(words, set(hints.terms), score, phonemes, lexicon, o)
    if words == list(t.words):
        return t
    return rebuilt(t, words)


@dataclass(frozen=True)
class _Lexicon:
    """What the sound-alike step knows of words (lower case): the common words, the
    ordinary English words, the bank's words, and what a heard word may be besides the
    question's terms (:func:`_rivals`)."""

    common: AbstractSet[str]
    english: AbstractSet[str]
    banked: AbstractSet[str]
    rivals: SoundIndex


@functools.lru_cache(maxsize=4)  # the same bank's, phrase after phrase
def _rivals(joined: tuple[str, ...], words: frozenset[str]) -> SoundIndex:
    """The bank's terms and its words that are no ordinary English word ("pytest",
    "isort"), sounded out once: things the bank names, which a heard word may be instead
    of a question's term."""
    from mockint.hearing.phonetic import common_words, english_words, phonemizer

    common, english = common_words(), english_words()
    odd = {w for w in words if w not in english and w not in common}
    phonemes = phonemizer()
    assert phonemes is not None  # only called where words are sounded out
    return SoundIndex(set(joined) | odd, phonemes)


def put(words: list[Word], spans: Sequence[tuple[int, int, str]]) -> list[Word]:
    """The words with each span (first index, how many, word shown) made one word that
    keeps what was heard there and spans its times."""
    at = {i: (n, shown) for i, n, shown in spans}
    out: list[Word] = []
    i = 0
    while i < len(words):
        if i not in at:
            out.append(words[i])
            i += 1
            continue
        n, shown = at[i]
        part = words[i : i + n]
        heard = " ".join(w.as_heard for w in part)
        out.append(
            Word(
                shown,
                part[0].start,
                part[-1].end,
                min(w.probability for w in part),
                None if shown == heard else heard,
            )
        )
        i += n
    return out


def rebuilt(t: Transcript, words: Sequence[Word]) -> Transcript:
    """``t`` with other words: its text their words joined as shown, each segment's text
    the words starting in it."""
    segments = tuple(
        Segment(" ".join(w.text for w in words if s.holds(w.start)), s.start, s.end)
        for s in t.segments
    )
    return replace(t, text=" ".join(w.text for w in words), segments=segments, words=tuple(words))


def _candidates(
    words: Sequence[Word],
    terms: AbstractSet[str],
    phonemes: Callable[[str], str],
    lexicon: _Lexicon,
    o: CorrectionOptions,
) -> list[Candidate]:
    """The terms to ask the audio about: windows of heard words holding a word heard
    unsurely, within ``o.unsure_sound_alike`` of a term (and, with ``o.ask_sure``, windows
    of words heard surely within ``o.sound_alike``, after those). Never a window of common
    words alone ("red is", "be at", "of course"), nor of ordinary words, letters and
    numbers that sound exactly as the term ("row N plus one" is not N+1, "flour" not
    Flower): the audio cannot tell them from the term (Redis, BEAT, CORS), and which the
    decoder prefers there is its taste in words, not what was said. Nor words the bank
    itself uses, heard as such ("Pytest." is not Python): they name what the bank talks
    about; nor words that sound as another thing it names, nor a window holding them
    (:func:`_claimed`: "pidest" is pytest before it is Python)."""
    from mockint.hearing.terms import FUNCTION_WORDS, term_candidates

    common, english, banked = lexicon.common, lexicon.english, lexicon.banked
    text = " ".join(w.text for w in words)
    unsure = {k for k, w in enumerate(words) if w.probability < o.unsure}
    plain = common | FUNCTION_WORDS
    named = {t.lower() for t in terms}  # a window holding one keeps it (terms._holds)
    ranked: list[tuple[bool, Candidate]] = []  # (heard surely, candidate)
    widest = max(o.sound_alike, o.unsure_sound_alike)
    within = None if o.ask_sure else unsure
    found = term_candidates(text, terms, phonemes, widest, limit=None, within=within)
    for c in found:
        where = set(range(c.start, c.start + c.words))
        low = c.term.lower()
        if all(w in plain or (w in banked and w not in low) for w in _bare(c.heard)):
            # ordinary words alone: homophones the audio cannot tell apart; or the bank's
            # own words, heard, none spelled in the term ("Pytest." for Python; "auth two"
            # may be OAuth2): another thing the bank names, not this term
            continue
        if c.distance == 0 and all(_spelled(p, english) for p in _pieces(c.heard)):
            continue  # the term's own sound in words ("N plus one", "N-plus-one"): as heard
        held = _bare(c.heard) & named
        if _part_of(_content(c.heard) if not held else c.heard, c.term):
            # "(the) serializers" is not ModelSerializer, nor "Django filter"
            # DjangoFilterBackend: that would add a sound unheard
            continue
        if held and not all(k in unsure for k in where if as_compared(words[k].text) not in held):
            continue  # the term heard is kept only for an unsure word beside it
        if c.distance <= o.sound_alike:
            ranked.append((not where & unsure, c))
        elif where & unsure:
            ranked.append((False, c))
    ranked.sort(key=lambda sc: sc[0])  # stable: by distance within each
    ordered = [c for _, c in ranked]
    return _unclaimed(ordered, found, words, named, lexicon, phonemes, o.candidates)


def _unclaimed(
    ranked: Sequence[Candidate],
    found: Sequence[Candidate],
    words: Sequence[Word],
    named: AbstractSet[str],
    lexicon: _Lexicon,
    phonemes: Callable[[str], str],
    limit: int,
) -> list[Candidate]:
    """The first ``limit`` of the ``ranked`` candidates whose words no other thing the
    bank names claims (:func:`_claimed`), weighed in order until there are enough."""
    best: dict[tuple[int, int], float] = {}  # the nearest question's term, by words
    for c in found:
        best[c.start, c.words] = min(best.get((c.start, c.words), c.distance), c.distance)
    forms = _forms(named)
    kept: list[Candidate] = []
    for c in ranked:
        if len(kept) == limit:
            break
        if not _claimed(c, words, best, lexicon.rivals, forms, phonemes):
            kept.append(c)
    return kept


def _forms(named: AbstractSet[str]) -> frozenset[str]:
    """The question's terms (lower case) with their plurals and possessives: no rivals."""
    return frozenset(n + end for n in named for end in ("", "s", "es", "'s"))


def _claimed(
    c: Candidate,
    words: Sequence[Word],
    best: dict[tuple[int, int], float],
    rivals: SoundIndex,
    forms: AbstractSet[str],
    phonemes: Callable[[str], str],
) -> bool:
    """Whether words the candidate would replace (it, or words inside it) sound as one of
    the ``rivals`` (the bank's terms, and its words that are no ordinary English word;
    not the question's terms, their plurals or possessives: ``forms``), within
    :data:`~mockint.hearing.terms.SOUND_ALIKE` (where the audio cannot tell words apart),
    nearer than the candidate's term and than any question's term for those words
    (``best``): they are then no evidence for the term ("pidest" sounds as pytest, not
    Python; nor is "with pidest" Python). Words the term spells are its own ("HTTP
    ex-CAPGIO" may be HTTPException though HTTP is a term too). A tie goes to the audio."""
    from mockint.hearing.terms import SOUND_ALIKE

    end, term = c.start + c.words, c.term.lower()
    for i in range(c.start, end):
        for n in range(1, end - i + 1):
            heard = " ".join(as_compared(w.text) for w in words[i : i + n])
            if heard.replace(" ", "") in term:
                continue  # the term spells them ("HTTP" in HTTPException): its own
            d = rivals.nearest(phonemes(heard), SOUND_ALIKE, forms)
            if d <= SOUND_ALIKE and d < min(c.distance, best.get((i, n), float("inf"))):
                return True
    return False


def _sounded(
    words: list[Word],
    terms: AbstractSet[str],
    score: Scorer,
    phonemes: Callable[[str], str],
    lexicon: _Lexicon,
    o: CorrectionOptions,
) -> list[Word]:
    """The words with the question's terms put where the audio scores the phrase with the
    term higher than the phrase as heard (each place on its own; several taken together
    only where the audio prefers them together too)."""
    from mockint.hearing.terms import put_terms, supported

    found = _candidates(words, terms, phonemes, lexicon, o)
    if not found:
        return words
    text = " ".join(w.text for w in words)
    (heard,) = score([text])
    if isinstance(score, Bounded):  # not asked: what cannot score higher than as heard
        tops = score.ceilings(text, [c.text for c in found])
        found = [c for c, top in zip(found, tops, strict=True) if top > heard]
    gains = [s - heard for s in score([c.text for c in found])]
    taken = supported(found, gains)
    if o.rivals and taken:
        gain = {id(c): g for c, g in zip(found, gains, strict=True)}
        forms = _forms({t.lower() for t in terms})
        taken = [
            c
            for c in taken
            if _best_reading(c, gain[id(c)], text, heard, score, lexicon, phonemes, forms, o)
        ]
    if len(taken) > 1 and score([put_terms(text, taken)])[0] <= heard:
        taken = taken[:1]  # each was better alone, not all of them at once
    spans = []
    for c in taken:
        last = words[c.start + c.words - 1].text
        spans.append((c.start, c.words, c.term + last[len(last.rstrip(".,;:!?")) :]))
    return put(words, spans)


def _best_reading(
    c: Candidate,
    gain: float,
    text: str,
    heard: float,
    score: Scorer,
    lexicon: _Lexicon,
    phonemes: Callable[[str], str],
    forms: AbstractSet[str],
    o: CorrectionOptions,
) -> bool:
    """Whether the audio prefers the candidate's term (by ``gain`` over the text as heard)
    to every other thing the bank names that the same words sound as at least as nearly
    (:func:`~mockint.hearing.terms.rival_readings`: "jithub" may be GitHub as well as
    Python, and the audio prefers GitHub there): the
    term is taken only as the audio's best reading of those sounds, not merely a better
    one than what was heard. At most ``o.candidates`` of them, the nearest, are asked."""
    from mockint.hearing.terms import rival_readings

    others = rival_readings(c, text, lexicon.rivals, phonemes, forms, o.candidates)
    return not others or all(s - heard < gain for s in score([r.text for r in others]))


def _spelled(word: str, english: AbstractSet[str]) -> bool:
    """Whether a word (as compared) is an ordinary English word, a letter or a number."""
    return word in english or len(word) == 1 or word.isdigit()


def _pieces(words: str) -> list[str]:
    """The words as compared, split at hyphens too ("N-plus-one")."""
    return [p for w in words.split() for p in as_compared(w).split("-") if p]


def _content(words: str) -> str:
    """The words less function words ("the serializers": "serializers")."""
    from mockint.hearing.terms import FUNCTION_WORDS

    kept = [w for w in words.split() if as_compared(w) not in FUNCTION_WORDS]
    return " ".join(kept) or words


def _bare(words: str) -> set[str]:
    return {as_compared(w) for w in words.split()}


def _part_of(heard: str, term: str) -> bool:
    """Whether a heard word (less a plural or possessive s; words, their spacing off:
    "Django filter") is spelled inside a longer term that holds a sound more: a word of 3
    letters or more with 2 letters or more of the term unheard ("serializers" in
    ModelSerializer, "red" in Redis, "Django filter" in DjangoFilterBackend) or a digit
    ("flake" in flake8: a digit is a word said, never a silent letter), or a number ("8"
    in flake8, "3" in S3: the rest of the term was not heard). A letter less is a
    spelling, not a sound unheard: "Jango" for Django, "unicorn" for Gunicorn are asked
    about."""
    word = "".join(as_compared(w) for w in heard.split())
    word = word.removesuffix("'s").removesuffix("\u2019s").removesuffix("s")  # "serializer's"
    whole = term.lower()
    if word not in whole or word == whole:
        return False
    unheard = whole.replace(word, "", 1)
    if word.isdigit():
        return True
    return len(word) >= 3 and (len(unheard) >= 2 or any(c.isdigit() for c in unheard))
