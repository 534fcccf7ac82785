"""What was said: words with times, segments, the whole transcript.

The data every stage passes (recogniser, listener, delivery, grading, store); it
depends on nothing else in mockint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Word:
    """One word of the transcript and where it lies in the audio (seconds).

    ``text`` is the word as shown; ``heard`` is what the recogniser heard there when a
    correction changed it (``None``: shown as heard). One shown word may stand for several
    heard ones ("fast API" -> "FastAPI"): its times then span them all.
    """

    text: str
    start: float
    end: float
    probability: float = 1.0
    heard: str | None = None

    @property
    def as_heard(self) -> str:
        """The word as the recogniser heard it."""
        return self.text if self.heard is None else self.heard


@dataclass(frozen=True)
class Segment:
    """A stretch of speech the recogniser decoded as a unit."""

    text: str
    start: float
    end: float

    def holds(self, at: float) -> bool:
        """Whether a time (a word's start) lies in the segment, 10 ms either side."""
        return self.start - 0.01 <= at <= self.end + 0.01


@dataclass(frozen=True)
class Transcript:
    """What was said: the text, its segments and words with times."""

    text: str
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    duration: float = 0.0

    @property
    def changes(self) -> list[tuple[int, str, str]]:
        """(word index, as heard, as shown) of every word a correction changed."""
        return [(i, w.heard, w.text) for i, w in enumerate(self.words) if w.heard is not None]

    @property
    def heard_text(self) -> str:
        """The transcript as the recogniser heard it, before any correction."""
        if not self.changes:
            return self.text
        return " ".join(w.as_heard for w in self.words)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (times rounded to 10 ms), as JSON output and the store keep it; with
        ``heard_text``, the text as heard (each corrected word's ``heard`` in its place)."""
        return {
            "text": self.text,
            "heard_text": self.heard_text,
            "duration": round(self.duration, 3),
            "segments": [
                {"text": s.text, "start": round(s.start, 2), "end": round(s.end, 2)}
                for s in self.segments
            ],
            "words": words_to_dicts(self.words),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        """The inverse of :meth:`to_dict` (also reads unrounded data)."""
        return cls(
            str(d.get("text", "")),
            tuple(
                Segment(str(s["text"]), float(s["start"]), float(s["end"]))
                for s in d.get("segments", [])
            ),
            words_from_dicts(d.get("words", [])),
            float(d.get("duration", 0.0)),
        )

    def shifted(self, offset: float) -> Transcript:
        """The same transcript with every time moved by ``offset`` seconds."""
        return Transcript(
            self.text,
            tuple(Segment(s.text, s.start + offset, s.end + offset) for s in self.segments),
            tuple(
                Word(w.text, w.start + offset, w.end + offset, w.probability, w.heard)
                for w in self.words
            ),
            self.duration,
        )


def words_to_dicts(words: Sequence[Word]) -> list[dict[str, Any]]:
    """Words as plain data, times rounded to 10 ms; a corrected word also has ``heard``."""
    out: list[dict[str, Any]] = []
    for w in words:
        d: dict[str, Any] = {
            "text": w.text,
            "start": round(w.start, 2),
            "end": round(w.end, 2),
            "probability": round(w.probability, 3),
        }
        if w.heard is not None:
            d["heard"] = w.heard
        out.append(d)
    return out


def words_from_dicts(rows: Sequence[dict[str, Any]]) -> tuple[Word, ...]:
    """Words from plain data (as stored)."""
    return tuple(
        Word(
            str(w["text"]),
            float(w["start"]),
            float(w["end"]),
            float(w.get("probability", 1.0)),
            None if w.get("heard") is None else str(w["heard"]),
        )
        for w in rows
    )


def spoken_words(pieces: Sequence[tuple[str, float, float, float]]) -> tuple[Word, ...]:
    """Words from a recogniser's pieces (text as decoded, start, end, probability): a piece
    not led by a space continues the word before it, so "H-T-T-P" (decoded " H", "-T", "-T",
    "-P") stays one word rather than becoming "H -T -T -P"."""
    words: list[Word] = []
    for text, start, end, p in pieces:
        if words and text and not text[0].isspace():
            w = words[-1]
            words[-1] = Word(w.text + text.strip(), w.start, float(end), min(w.probability, p))
        elif text.strip():
            words.append(Word(text.strip(), float(start), float(end), float(p)))
    return tuple(words)


def joined(parts: Sequence[Transcript], duration: float) -> Transcript:
    """One transcript from consecutive phrase transcripts (already shifted). A phrase is
    decoded on its own, so the recogniser ends it with a full stop even where the speaker
    paused mid-sentence; where the next phrase goes on in lower case, that stop goes
    ("in my case. and returns" -> "in my case and returns")."""
    said = [p for p in parts if p.text]
    parts = [
        _unstopped(p) if nxt.text.lstrip()[:1].islower() else p
        for p, nxt in zip(said, said[1:], strict=False)
    ] + said[-1:]
    return Transcript(
        " ".join(p.text for p in parts).strip(),
        tuple(s for p in parts for s in p.segments),
        tuple(w for p in parts for w in p.words),
        duration,
    )


# words whose full stop is their own, not a sentence's end
_ABBREVIATIONS = {"etc", "vs", "approx", "mr", "mrs", "ms", "dr"}


def _stopped(text: str) -> bool:
    """Whether ``text`` ends with one full stop that ends a sentence (not "...", "e.g.",
    "Node.js." or "etc.")."""
    last = text.rstrip().rsplit(maxsplit=1)[-1] if text.strip() else ""
    if not last.endswith(".") or last.endswith(".."):
        return False
    word = last[:-1]
    return "." not in word and word.lower() not in _ABBREVIATIONS


def _unstopped(t: Transcript) -> Transcript:
    """``t`` without the full stop that ends it, in its text, last segment and last word."""
    if not _stopped(t.text):
        return t
    segments, words = list(t.segments), list(t.words)
    if segments and _stopped(segments[-1].text):
        s = segments[-1]
        segments[-1] = Segment(s.text.rstrip()[:-1], s.start, s.end)
    if words and _stopped(words[-1].text):
        w = words[-1]
        words[-1] = Word(w.text[:-1], w.start, w.end, w.probability, w.heard)
    return Transcript(t.text.rstrip()[:-1], tuple(segments), tuple(words), t.duration)


# An n-gram said this many times in a row is a decoding loop, not speech.
LOOP_REPEATS = 4


def _has_text(s: str) -> bool:
    return any(c.isalnum() for c in s)


def _collapse(tokens: list[str]) -> list[int]:
    """Indices of the tokens to keep: each run of an n-gram (n <= 8) repeated
    LOOP_REPEATS or more times in a row keeps its first occurrence."""
    keep = list(range(len(tokens)))
    low = [t.lower().strip(".,!?;:") for t in tokens]
    changed = True
    while changed:
        changed = False
        for n in range(1, 9):
            i = 0
            while i + n * LOOP_REPEATS <= len(keep):
                gram = [low[k] for k in keep[i : i + n]]
                reps = 1
                while [low[k] for k in keep[i + reps * n : i + (reps + 1) * n]] == gram:
                    reps += 1
                if reps >= LOOP_REPEATS:
                    del keep[i + n : i + reps * n]
                    changed = True
                i += 1
    return keep


def clean(t: Transcript) -> Transcript:
    """The transcript without what the speech cannot have held: stray punctuation with no
    words (Whisper's ". . ." for noise) and decoding loops (an n-gram 4+ times in a row)."""
    if t.words:
        words = [w for w in t.words if _has_text(w.text)]
        words = [words[i] for i in _collapse([w.text for w in words])]
        segments = []
        for s in t.segments:
            inside = [w.text for w in words if s.holds(w.start)]
            if inside:
                segments.append(Segment(" ".join(inside), s.start, s.end))
        text = " ".join(w.text for w in words)
        return Transcript(text, tuple(segments), tuple(words), t.duration)
    tokens = t.text.split()
    text = " ".join(tokens[i] for i in _collapse(tokens)) if _has_text(t.text) else ""
    kept = tuple(s for s in t.segments if _has_text(s.text)) if text else ()
    return Transcript(text, kept, (), t.duration)


# --- corrections: what was heard beside what is shown ------------------------------------------


def _groups(heard: Sequence[str], shown: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """(heard from, to, shown from, to) spans pairing the two word lists: each unchanged
    word alone, each changed run whole; a run with nothing on one side (a word dropped
    or put in) joins the span before it (or after, at the start)."""
    import difflib

    out: list[tuple[int, int, int, int]] = []
    match = difflib.SequenceMatcher(None, list(heard), list(shown), autojunk=False)
    for tag, i1, i2, j1, j2 in match.get_opcodes():
        if tag == "equal":
            out += [(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1)]
        else:
            out.append((i1, i2, j1, j2))
    k = 0
    while len(out) > 1 and k < len(out):
        i1, i2, j1, j2 = out[k]
        if i1 < i2 and j1 < j2:
            k += 1
            continue
        at = k - 1 if k > 0 else k + 1
        a, b = sorted((k, at))
        out[a : b + 1] = [(out[a][0], out[b][1], out[a][2], out[b][3])]
        k = a
    return out


def shown_as(heard: Transcript, shown: Transcript) -> Transcript:
    """A corrector's output (``shown``, its text changed from ``heard``'s) as one word list:
    each word it changed carries what was heard there, the text and segments are the
    words'. A corrector that keeps its own words (they differ from ``heard``'s) is taken as
    it is; so is a transcript without words."""
    if not heard.words or shown.words != heard.words or shown.text == heard.text:
        return shown
    said = [w.text for w in heard.words]
    new = shown.text.split()
    if not new:
        return shown
    words: list[Word] = []
    for i1, i2, j1, j2 in _groups(said, new):
        if i2 - i1 == j2 - j1:
            words += [
                w if w.text == t else replace(w, text=t, heard=w.text)
                for w, t in zip(heard.words[i1:i2], new[j1:j2], strict=True)
            ]
            continue
        first, last = heard.words[i1], heard.words[i2 - 1]
        p = min(w.probability for w in heard.words[i1:i2])
        text, was = " ".join(new[j1:j2]), " ".join(said[i1:i2])
        words.append(Word(text, first.start, last.end, p, None if text == was else was))
    return _from_words(shown, tuple(words))


def _from_words(t: Transcript, words: tuple[Word, ...]) -> Transcript:
    """``t`` with these words, its text and segments made of them."""
    segments = tuple(
        replace(s, text=" ".join(w.text for w in words if s.holds(w.start))) for s in t.segments
    )
    return Transcript(" ".join(w.text for w in words), segments, words, t.duration)


def restored(t: Transcript, which: Sequence[int] | None = None) -> Transcript:
    """``t`` with corrected words put back as heard: those of ``which`` (word indices),
    or all. The words put back are as heard (``heard`` None). Nothing changes once the user
    has retyped the text (it is then theirs)."""
    if not t.changes or not as_shown(t.text, t.words):
        return t
    back = set(range(len(t.words)) if which is None else which)
    words = tuple(
        Word(w.heard, w.start, w.end, w.probability) if i in back and w.heard is not None else w
        for i, w in enumerate(t.words)
    )
    return t if words == t.words else _from_words(t, words)


def as_shown(text: str, words: Sequence[Word]) -> bool:
    """Whether ``text`` is the words' text (not retyped by the user since)."""
    return text == " ".join(w.text for w in words)


def corrections(text: str, words: Sequence[Word]) -> list[tuple[int, str, str]]:
    """(word index, as heard, as shown) of each corrected word the text still shows; none
    once the user has retyped the text."""
    if not as_shown(text, words):
        return []
    return [(i, w.heard, w.text) for i, w in enumerate(words) if w.heard is not None]


def marked(text: str, words: Sequence[Word], mark: str = "{shown} (heard: {heard})") -> str:
    """The text with each corrected word marked, by default "Redis (heard: readies)"."""
    if not any(w.heard is not None for w in words) or not as_shown(text, words):
        return text
    return " ".join(
        w.text if w.heard is None else mark.format(shown=w.text, heard=w.heard) for w in words
    )


def words_if_corrected(rows: Sequence[dict[str, Any]]) -> tuple[Word, ...]:
    """Stored words (as :func:`words_to_dicts` keeps them) where a correction changed one,
    else none: what marking a stored transcript needs, without reading every answer's."""
    import itertools

    # map over a C method: this runs over every word of every answer a report reads
    found = any(map(dict.__contains__, rows, itertools.repeat("heard")))
    return words_from_dicts(rows) if found else ()


def described(changed: Sequence[tuple[int, str, str]]) -> str:
    """How many words were corrected, each numbered as undo takes it: "2 words corrected:
    1. Redis (heard: readies) · 2. Celery (heard: salary)" ("" for none)."""
    if not changed:
        return ""
    each = " · ".join(
        f"{k}. {shown} (heard: {heard})" for k, (_, heard, shown) in enumerate(changed, 1)
    )
    return f"{len(changed)} word{'s' if len(changed) != 1 else ''} corrected: {each}"
