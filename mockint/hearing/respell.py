"""What the recogniser misheard, put back: the bank's terms and the question's own words.

:func:`respelled` takes a transcript as heard and its question's
:func:`mockint.hearing.terms.hotwords`. Words that spell a term or a bank word apart are
joined; words that sound like one of the question's terms are replaced. With the
recogniser's :class:`Scores` for the same audio, rougher sound-alikes are tried and
the audio decides: a question's term is taken where the audio, net of the decoder's
taste in words, bears it out nearly as well as what was heard (better, where it sounds
further off but the recogniser was unsure of what it heard), or the audio alone bears
it out better; a question's plain word only where the audio bears it out better (a
search error of the decoder, not a guess), or, heard as two words, better net of the
decoder's taste. Word times stay as heard.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from mockint.hearing.terms import Candidate
from mockint.transcript import Transcript

# how well the audio the recogniser just decoded bears out each text (natural log)
Scorer = Callable[[Sequence[str]], list[float]]

# A text's net score is its log-probability under the decoder given the audio, less this
# share of its log-probability given silence (the decoder's own taste in words, whatever
# is said): rare names ("Thirdi-AI", Pydantic) are unlikely to tiny.en's decoder in any
# audio, and what counts is how much the audio raises them. On saved bench audio (0.7
# edits per phoneme, margin 4): terms espeak-ng en-us 83.4% -> 86.8%, Piper 91.2% ->
# 92.2%, no false terms; at 1.0 a false term appeared, at 0.5 half the gain.
PRIOR_WEIGHT = 0.75

# A question's own plain words ("schemas", "backend", "routers") are tried where heard
# words sound within this many phoneme edits per phoneme of one, the closest
# WORD_CANDIDATES of a phrase (each costs a decoder pass, ~60 ms), and taken only where
# the audio scores them higher than what beam search kept. On saved bench audio: Piper
# WER 6.45% -> 6.22%, espeak-ng en-us 11.88% -> 11.79%; at 0.7 and 8 the same on Piper.
WORD_SOUND_ALIKE = 0.5
WORD_CANDIDATES = 4

# ... but a question's word heard as two ("scheme is" for schemas, "back in" for backend,
# "status is" for statuses) within this many edits per phoneme is taken where the audio
# bears it out better net of the decoder's taste (:meth:`Scores.net`), as a term is: the
# decoder likes two common words more than one rarer word whatever is said; not where the
# second word adds a full vowel ("endpoint to" is not endpoints). On saved bench audio,
# with the unsure terms below: Piper WER 6.32% -> 6.18%, en-gb 13.43% -> 13.33%.
SPLIT_SOUND_ALIKE = 0.35

# The question's terms are tried, at most TERM_CANDIDATES a phrase, where heard words
# sound within mockint.hearing.terms.CHECKED_SOUND_ALIKE of one and are not one common word
# alone; and where the recogniser was unsure of a heard word (its probability under
# UNSURE), within UNSURE_SOUND_ALIKE, a common word too ("credit" for CRUD) unless it
# sounds just like the term ("course" for CORS, which the audio cannot tell apart): these
# are asked first and taken only where the audio, net of the decoder's taste, bears the
# term out better than what was heard. On saved bench audio: Piper terms 92.7% -> 93.2%
# (CRUD twice), en-us 86.8% both, en-gb 87.3% -> 86.8%; no term put in where unsaid.
TERM_CANDIDATES = 8
UNSURE = 0.7
UNSURE_SOUND_ALIKE = 0.8


@dataclass(frozen=True)
class Scores:
    """How well the audio just decoded bears out other texts: given the audio, and (when
    there is one) given silence; ``both`` gives the two at once where an engine computes
    them side by side."""

    audio: Scorer
    silence: Scorer | None = None
    both: Callable[[Sequence[str]], tuple[list[float], list[float]]] | None = None

    def parts(self, texts: Sequence[str]) -> tuple[list[float], list[float] | None]:
        """Each text's score by the audio, and by silence (None without a scorer for it)."""
        if self.silence is None:
            return self.audio(texts), None
        return self.both(texts) if self.both else (self.audio(texts), self.silence(texts))

    def net(self, texts: Sequence[str]) -> list[float]:
        """Each text's score by the audio less :data:`PRIOR_WEIGHT` times by silence."""
        heard, prior = self.parts(texts)
        return heard if prior is None else _net(heard, prior)


def _net(heard: Sequence[float], prior: Sequence[float]) -> list[float]:
    return [a - PRIOR_WEIGHT * b for a, b in zip(heard, prior, strict=True)]


def respelled(t: Transcript, hotwords: str | None, scores: Scores | None = None) -> Transcript:
    """The transcript with terms put back where they were misheard: words that spell one of
    the bank's apart joined ("fast API" -> "FastAPI"), then words that sound like one of the
    question's replaced ("readies" -> "Redis", by espeak-ng's phonemes; skipped without
    piper-tts). With ``scores``, words that sound only roughly like a question's term
    ("authentic" -> Pydantic) are replaced too when the audio bears the term out nearly as
    well (:func:`mockint.hearing.terms.supported`; :data:`PRIOR_WEIGHT`; an unsure "credit" ->
    CRUD where better), and words that sound like one of the question's own plain words
    ("Rotters" -> routers, "scheme is" -> schemas) when the audio bears the word out
    better (:func:`_checked`). ``hotwords`` as :func:`mockint.hearing.terms.hotwords` makes it."""
    if not hotwords or not t.text:
        return t
    from mockint.hearing.phonetic import common_words, phonemizer
    from mockint.hearing.terms import joinable, respell, sound_alike
    from mockint.hearing.vocabulary import question_words

    phonemes = phonemizer()
    common = common_words()
    near, known = joinable(hotwords, common)

    def fix(text: str) -> str:
        text = respell(text, known)
        if phonemes is None:
            return text
        return sound_alike(text, near, phonemes, common=common, known=known)

    out = replace(
        t, text=fix(t.text), segments=tuple(replace(s, text=fix(s.text)) for s in t.segments)
    )
    if scores is None or phonemes is None:
        return out
    out = _checked(out, near, scores, phonemes, common, terms=True, known=known)
    own, terms = question_words(hotwords)
    if not own:
        return out
    return _checked(out, own, scores, phonemes, common, terms=False, keep=terms)


def _plain(word: str) -> str:
    """A word as compared: lower case, its punctuation off."""
    return word.strip(".,;:!?\"'()").lower()


def _said(words: str) -> str:
    """Words as compared for sameness: "ridies," is "ridies"."""
    return " ".join(_plain(w) for w in words.split())


def _bare(words: str) -> set[str]:
    return {_plain(w) for w in words.split()}


def _part_of(heard: str, term: str) -> bool:
    """Whether a heard word (less a plural s) is spelled inside a longer term."""
    word = next(iter(_bare(heard)), "").removesuffix("s")
    return len(word) >= 3 and word in term.lower() and word != term.lower()


def _surely_heard(t: Transcript) -> dict[int, bool]:
    """For each word of the transcript's text that is one of the recogniser's words (the
    same word where the two run alike), whether it was heard with probability UNSURE or
    more; words put in by the steps before are not in it."""
    import difflib

    said = [_plain(w) for w in t.text.split()]
    heard = [_plain(w.text) for w in t.words]
    match = difflib.SequenceMatcher(None, said, heard, autojunk=False)
    return {
        a + k: t.words[b + k].probability >= UNSURE
        for a, b, n in match.get_matching_blocks()
        for k in range(n)
    }


def _candidates(
    t: Transcript,
    targets: AbstractSet[str],
    phonemes: Callable[[str], str],
    common: AbstractSet[str],
    terms: bool,
    keep: AbstractSet[str],
) -> tuple[list[Candidate], set[int]]:
    """What :func:`_checked` asks the scorer about, and (by index) those it takes only
    where the score is higher than what was heard. Terms: windows within
    :data:`CHECKED_SOUND_ALIKE` of one, no common word alone; and, where a word was heard
    unsurely, within :data:`UNSURE_SOUND_ALIKE`, common words too but for one that sounds
    just like the term (course, CORS); unsure ones first; never everyday words each heard
    surely ("time I" for Python, :func:`_surely_heard`). Plain words: within
    :data:`WORD_SOUND_ALIKE`, the closest :data:`WORD_CANDIDATES`."""
    from mockint.hearing.terms import CHECKED_SOUND_ALIKE, FUNCTION_WORDS, SOUND_ALIKE
    from mockint.hearing.terms import term_candidates as candidates

    if not terms:
        found = [
            c
            for c in candidates(t.text, targets, phonemes, WORD_SOUND_ALIKE, common, limit=None)
            if not _bare(c.heard) & keep
        ]
        return found[:WORD_CANDIDATES], set()
    unsure = {b for w in t.words if w.probability < UNSURE for b in _bare(w.text)}
    plain = common | FUNCTION_WORDS
    sure = _surely_heard(t)
    ranked: list[tuple[bool, Candidate]] = []  # (heard surely, candidate)
    wider: set[int] = set()
    for c in candidates(t.text, targets, phonemes, UNSURE_SOUND_ALIKE, frozenset(), limit=None):
        if c.words == 1 and _part_of(c.heard, c.term):
            continue  # "serializers" is not ModelSerializer: that would add a word unheard
        alone = c.words == 1 and _bare(c.heard) <= common
        if _bare(c.heard) <= plain and all(sure.get(k) for k in range(c.start, c.start + c.words)):
            continue  # everyday words each heard surely ("time I" is not Python)
        if c.distance <= CHECKED_SOUND_ALIKE and not alone:
            ranked.append((not _bare(c.heard) & unsure, c))
        elif _bare(c.heard) & unsure and not (alone and c.distance <= SOUND_ALIKE):
            ranked.append((False, c))
            wider.add(id(c))
    ranked.sort(key=lambda sc: sc[0])  # stable: by distance within each
    chosen = [c for _, c in ranked[:TERM_CANDIDATES]]
    return chosen, {i for i, c in enumerate(chosen) if id(c) in wider}


def _as_judged(
    gains: Sequence[float], found: Sequence[Candidate], strict: AbstractSet[int], names: set[int]
) -> list[float]:
    """The gains :func:`mockint.hearing.terms.supported` judges: a candidate of ``strict``
    (by index) only where better than what was heard; one whose words heard hold a made-up name (of
    ``names``, by word) within :data:`mockint.hearing.terms.NAME_MARGIN` instead of the terms'."""
    from mockint.hearing.terms import NAME_MARGIN, TERM_MARGIN

    out = [g if g > 0 or i not in strict else -math.inf for i, g in enumerate(gains)]
    return [
        g + NAME_MARGIN - TERM_MARGIN if names & set(range(c.start, c.start + c.words)) else g
        for g, c in zip(out, found, strict=True)
    ]


def _checked(
    t: Transcript,
    targets: AbstractSet[str],
    scores: Scores,
    phonemes: Callable[[str], str],
    common: AbstractSet[str],
    *,
    terms: bool,
    keep: AbstractSet[str] = frozenset(),
    known: AbstractSet[str] | None = None,
) -> Transcript:
    """``t`` with words that sound like one of ``targets`` (:func:`_candidates`) replaced
    where the audio bears the target out. A term: by its net score (:meth:`Scores.net`),
    within :data:`mockint.hearing.terms.TERM_MARGIN` of what was heard, or better for a wider
    candidate; or by the audio alone where that is better than what was heard (net of
    the decoder's taste, a term likelier than the garbled words heard would be held
    back: "pison" for Python, "post-gorecule" for PostgreSQL). A plain word: better by
    the audio alone, or, for words heard apart ("scheme as" for schemas, within
    :data:`SPLIT_SOUND_ALIKE`), better by the net score. A tie keeps what was heard;
    words of ``keep`` (lower case) are never replaced. Where the words heard hold a name
    the recogniser made up (not one of ``known``), a term within
    :data:`mockint.hearing.terms.NAME_MARGIN`. Words taken for a target once are taken alike
    wherever else the phrase holds them ("ridies," and "ridies" for Redis)."""
    from mockint.hearing.terms import TERM_MARGIN, made_up, supported

    found, strict = _candidates(t, targets, phonemes, common, terms, keep)
    if not found:
        return t
    texts = [t.text] + [c.text for c in found]
    audio, prior = scores.parts(texts) if terms else (scores.audio(texts), None)
    heard, *rest = audio if prior is None else _net(audio, prior)
    gains = [p - heard for p in rest]
    if prior is not None:  # a term the audio alone bears out better: a search error mended
        gains = [
            max(g, a - audio[0]) if a > audio[0] else g
            for g, a in zip(gains, audio[1:], strict=True)
        ]
    if not terms:
        strict = set(range(len(found)))
        gains = _apart_gains(t, found, gains, scores, phonemes)
    names = made_up(t.text, common, known) if terms and known is not None else set()
    taken = supported(found, _as_judged(gains, found, strict, names), TERM_MARGIN if terms else 0.0)
    if not taken:
        return t
    return _replaced_alike(t, taken, phonemes)


def _apart_gains(
    t: Transcript,
    found: Sequence[Candidate],
    gains: list[float],
    scores: Scores,
    phonemes: Callable[[str], str],
) -> list[float]:
    """``gains`` with a plain word heard apart ("scheme as" for schemas) judged by its net
    score: the audio less the decoder's taste, where that is better."""
    from mockint.hearing.terms import full_vowels

    apart = [
        i
        for i, c in enumerate(found)
        if c.words > 1
        and c.distance <= SPLIT_SOUND_ALIKE  # the word heard apart adds no full
        and full_vowels(phonemes(c.heard)) <= full_vowels(phonemes(c.term))
    ]  # vowel
    gains = list(gains)
    if apart and scores.silence is not None:  # net: the audio less the decoder's taste
        taste = scores.silence([t.text] + [found[i].text for i in apart])
        for i, p in zip(apart, taste[1:], strict=True):
            gains[i] = max(gains[i], gains[i] - PRIOR_WEIGHT * (p - taste[0]))
    return gains


def _replaced_alike(
    t: Transcript, taken: Sequence[Candidate], phonemes: Callable[[str], str]
) -> Transcript:
    """``t`` with the ``taken`` replacements made, and words taken for a target once
    taken alike wherever else the phrase holds them."""
    from mockint.hearing.terms import put_terms, supported
    from mockint.hearing.terms import term_candidates as candidates

    pairs = {(_said(c.heard), c.term) for c in taken}
    chosen = {term for _, term in pairs}  # every window: the one heard may not be closest

    def same(segment: str) -> str:
        """The segment with the words replaced anywhere replaced alike wherever heard."""
        there = candidates(segment, chosen, phonemes, UNSURE_SOUND_ALIKE, limit=None)
        alike = [c for c in there if (_said(c.heard), c.term) in pairs]
        return put_terms(segment, supported(alike, [0.0] * len(alike)))

    segments = tuple(replace(s, text=same(s.text)) for s in t.segments)
    return replace(t, text=same(put_terms(t.text, taken)), segments=segments)
