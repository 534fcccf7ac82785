"""Delivery: pace, filler words, long pauses and length, from word timestamps.

Observations about how an answer was spoken, not judgements of the speaker.
Pure: a list of timed words in, a :class:`Delivery` out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mockint.transcript import Word


@dataclass(frozen=True)
class DeliveryOptions:
    """What counts as slow, fast, a long pause, and a good length."""

    # words per minute below/above which pace is flagged
    slow_wpm: float = 110.0
    fast_wpm: float = 170.0
    # a gap between words at least this long (s) is a long pause
    long_pause: float = 2.5
    # answer length target (s)
    min_seconds: float = 60.0
    max_seconds: float = 120.0


FILLERS_SINGLE = {"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "basically", "actually"}
# multi-word fillers, and single words that are fillers only in some places (see _count_fillers)
FILLER_PHRASES = ("you know", "i mean", "sort of", "kind of")


@dataclass(frozen=True)
class Delivery:
    """How an answer was delivered."""

    words: int
    seconds: float  # from the first word's start to the last word's end
    wpm: float
    fillers: int
    fillers_per_minute: float
    filler_words: dict[str, int]
    long_pauses: list[tuple[float, float]]  # (start of the pause, its length), seconds
    flags: list[str]  # short observations, e.g. "pace 182 wpm: faster than 170"
    # the length this question asks for (s): see length_band()
    target_seconds: tuple[float, float] = (60.0, 120.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["long_pauses"] = [
            {"at": round(a, 2), "seconds": round(b, 2)} for a, b in self.long_pauses
        ]
        d["long_pause_count"] = len(self.long_pauses)
        return d


# words a minute of a model answer read aloud, to turn its length into seconds
SPOKEN_WPM = 130.0


def length_band(behavioural: bool, model_words: int) -> tuple[float, float]:
    """The target length (s) of an answer: a story takes 60-120 s (longer if the model
    answer is longer); a technical answer about the model answer's spoken length, from
    half to one and a half times it (at least 10-30 s: a one-line fact is quick)."""
    spoken = model_words / SPOKEN_WPM * 60.0
    if behavioural:
        return max(60.0, _five(0.8 * spoken)), max(120.0, _five(1.6 * spoken))
    return max(10.0, _five(0.5 * spoken)), min(180.0, max(30.0, _five(1.5 * spoken)))


def _five(seconds: float) -> float:
    return float(5 * round(seconds / 5))


def _norm(w: str) -> str:
    return re.sub(r"[^a-z']", "", w.lower())


def _count_fillers(tokens: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    i = 0
    while i < len(tokens):
        pair = " ".join(tokens[i : i + 2])
        if pair in FILLER_PHRASES:
            counts[pair] = counts.get(pair, 0) + 1
            i += 2
            continue
        t = tokens[i]
        # "like" and "so" are fillers when they stand between pauses or open the answer:
        # Whisper writes them as ", like," / "So," — the punctuation is kept in raw words
        if t in FILLERS_SINGLE:
            counts[t] = counts.get(t, 0) + 1
        i += 1
    return counts


def _discourse_fillers(raw: Sequence[str]) -> dict[str, int]:
    """'like' set off by commas, and a sentence-opening 'So,' count as fillers."""
    counts: dict[str, int] = {}
    for i, w in enumerate(raw):
        low = w.lower()
        prev = raw[i - 1] if i else ""
        if low.strip(",") == "like" and (low.endswith(",") or prev.endswith(",")):
            counts["like"] = counts.get("like", 0) + 1
        if low == "so," and (i == 0 or prev.endswith((".", "?", "!"))):
            counts["so"] = counts.get("so", 0) + 1
    return counts


def measure(
    words: Sequence[Word],
    options: DeliveryOptions | None = None,
    pauses: Sequence[tuple[float, float]] | None = None,
) -> Delivery | None:
    """Measure delivery from timed words; None when there are no words.

    ``pauses`` (start, seconds) come from the recording's voice activity where there is
    one: gaps between word times also open around misheard stretches, so they are
    used only for an answer without audio.
    """
    o = options or DeliveryOptions()
    if not words:
        return None
    start, end = words[0].start, words[-1].end
    seconds = max(end - start, 1e-6)
    tokens = [t for t in (_norm(w.text) for w in words) if t]
    counts = _count_fillers(tokens)
    for k, v in _discourse_fillers([w.text for w in words]).items():
        counts[k] = counts.get(k, 0) + v
    fillers = sum(counts.values())
    if pauses is not None:
        pauses = [(a, b) for a, b in pauses if b >= o.long_pause]
    else:
        pauses = [
            (a.end, b.start - a.end)
            for a, b in zip(words, words[1:], strict=False)
            if b.start - a.end >= o.long_pause
        ]
    minutes = seconds / 60
    wpm = len(tokens) / minutes
    flags = []
    if wpm < o.slow_wpm:
        flags.append(f"pace {wpm:.0f} wpm: slower than {o.slow_wpm:.0f}")
    elif wpm > o.fast_wpm:
        flags.append(f"pace {wpm:.0f} wpm: faster than {o.fast_wpm:.0f}")
    if fillers:
        flags.append(f"{fillers / minutes:.1f} filler words a minute")
    if pauses:
        where = ", ".join(f"{a:.0f} s" for a, _ in pauses)
        noun = "pause" if len(pauses) == 1 else "pauses"
        flags.append(f"{len(pauses)} {noun} over {o.long_pause:g} s (at {where})")
    target = f"the {o.min_seconds:.0f}-{o.max_seconds:.0f} s target"
    if seconds < o.min_seconds:
        flags.append(f"{seconds:.0f} s long: shorter than {target}")
    elif seconds > o.max_seconds:
        flags.append(f"{seconds:.0f} s long: longer than {target}")
    return Delivery(
        words=len(tokens),
        seconds=round(seconds, 2),
        wpm=round(wpm, 1),
        fillers=fillers,
        fillers_per_minute=round(fillers / minutes, 2),
        filler_words=counts,
        long_pauses=list(pauses),
        flags=flags,
        target_seconds=(o.min_seconds, o.max_seconds),
    )


def describe(d: dict[str, Any], options: DeliveryOptions | None = None) -> list[str]:
    """Delivery figures (one answer's, or means over answers) as labelled plain words:
    "Pace 141 words/min (target 110-170)", "Fillers 0.0 per minute",
    "Long pauses 1 (over 2.5 s)", "Length 41 s (target 60-120)"."""
    o = options or DeliveryOptions()
    lo, hi = d.get("target_seconds") or (o.min_seconds, o.max_seconds)
    pauses = d.get("long_pause_count", len(d.get("long_pauses", [])))
    count = (
        f"{pauses:.1f}"
        if isinstance(pauses, float) and not pauses.is_integer()
        else (f"{pauses:.0f}")
    )
    return [
        f"Pace {float(d.get('wpm', 0)):.0f} words/min (target {o.slow_wpm:.0f}-{o.fast_wpm:.0f})",
        f"Fillers {float(d.get('fillers_per_minute', 0)):.1f} per minute",
        f"Long pauses {count} (over {o.long_pause:g} s)",
        f"Length {float(d.get('seconds', 0)):.0f} s (target {float(lo):.0f}-{float(hi):.0f})",
    ]
