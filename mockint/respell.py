"""What the recogniser misheard, put back: the bank's terms and the question's own words.

:func:`respelled` takes a transcript as heard and its question's
:func:`mockint.terms.hotwords`. Words that spell a term or a bank word apart are
joined; words that sound like one of the question's terms are replaced. With the
recogniser's :class:`Scores` for the same audio, rougher sound-alikes are tried and
the audio decides: a question's term is taken where the audio, net of the decoder's
taste in words, bears it out nearly as well as what was heard; a question's plain
word only where the audio bears it out better (a search error of the decoder, not a
guess). Word times stay as heard.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

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


@dataclass(frozen=True)
class Scores:
    """How well the audio just decoded bears out other texts: given the audio, and (when
    there is one) given silence."""

    audio: Scorer
    silence: Scorer | None = None

    def net(self, texts: Sequence[str]) -> list[float]:
        """Each text's score by the audio less :data:`PRIOR_WEIGHT` times by silence."""
        heard = self.audio(texts)
        if self.silence is None:
            return heard
        prior = self.silence(texts)
        return [a - PRIOR_WEIGHT * b for a, b in zip(heard, prior, strict=True)]


def respelled(t: Transcript, hotwords: str | None, scores: Scores | None = None) -> Transcript:
    """The transcript with terms put back where they were misheard: words that spell one of
    the bank's apart joined ("fast API" -> "FastAPI"), then words that sound like one of the
    question's replaced ("readies" -> "Redis", by espeak-ng's phonemes; skipped without
    piper-tts). With ``scores``, words that sound only roughly like a question's term
    ("authentic" -> Pydantic) are replaced too when the audio bears the term out nearly as
    well (:func:`mockint.terms.supported`; :data:`PRIOR_WEIGHT`), and words that sound like
    one of the question's own plain words ("back in" -> backend) when the audio bears the
    word out better. ``hotwords`` as :func:`mockint.terms.hotwords` makes it."""
    if not hotwords or not t.text:
        return t
    from mockint.phonetic import common_words, phonemizer
    from mockint.terms import TERM_MARGIN, joinable, question_words, respell, sound_alike

    phonemes = phonemizer()
    common = common_words()
    near, known = joinable(hotwords, common)

    def fix(text: str) -> str:
        text = respell(text, known)
        if phonemes is None:
            return text
        return sound_alike(text, near, phonemes, common=common)

    out = replace(t, text=fix(t.text), segments=tuple(replace(s, text=fix(s.text))
                                                      for s in t.segments))  # fmt: skip
    if scores is None or phonemes is None:
        return out
    out = _checked(out, near, scores.net, phonemes, common, margin=TERM_MARGIN)
    own, terms = question_words(hotwords)
    if not own:
        return out
    return _checked(out, own, scores.audio, phonemes, common, margin=None,
                    max_distance=WORD_SOUND_ALIKE, limit=WORD_CANDIDATES, keep=terms)


def _checked(
    t: Transcript,
    targets: AbstractSet[str],
    score: Scorer,
    phonemes: Callable[[str], str],
    common: AbstractSet[str],
    *,
    margin: float | None,
    max_distance: float | None = None,
    limit: int = 8,
    keep: AbstractSet[str] = frozenset(),
) -> Transcript:
    """``t`` with words that sound like one of ``targets`` (within ``max_distance``, the
    closest ``limit``) replaced where ``score`` bears the target out to within ``margin``
    of what was heard (None: only better than heard; a tie keeps what was heard); words
    of ``keep`` (lower case) are never replaced."""
    from mockint.terms import CHECKED_SOUND_ALIKE, put_terms, supported
    from mockint.terms import term_candidates as candidates

    near = CHECKED_SOUND_ALIKE if max_distance is None else max_distance
    found = [c for c in candidates(t.text, targets, phonemes, near, common, limit=None)
             if not {w.strip(".,;:!?\"'()").lower() for w in c.heard.split()} & keep][:limit]
    if not found:
        return t
    first, *rest = score([t.text] + [c.text for c in found])
    gains = [p - first for p in rest]
    if margin is None:
        gains, margin = [g if g > 0 else -math.inf for g in gains], 0.0
    taken = supported(found, gains, margin)
    if not taken:
        return t
    pairs = {(c.heard, c.term) for c in taken}
    chosen = {term for _, term in pairs}  # every window: the one heard may not be closest

    def same(segment: str) -> str:
        """The segment with the words replaced in the whole text replaced alike."""
        there = candidates(segment, chosen, phonemes, common=common, limit=None)
        alike = [c for c in there if (c.heard, c.term) in pairs]
        return put_terms(segment, supported(alike, [0.0] * len(alike)))

    segments = tuple(replace(s, text=same(s.text)) for s in t.segments)
    return replace(t, text=put_terms(t.text, taken), segments=segments)
