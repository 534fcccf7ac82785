"""How words sound: espeak-ng's phonemes (through piper-tts's bundled espeak-ng bridge).

The adapter behind :func:`mockint.hearing.terms.term_candidates`, which finds the heard
words that sound like a question's term ("readies" for Redis) for the audio to judge; and
the English words of Whisper's tokenizer, which tell an ordinary word from a term.
Imported only where a transcriber corrects; when piper-tts is missing no heard word is
sounded out (:func:`phonemizer` returns None).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def phonemizer() -> Callable[[str], str] | None:
    """A function from text to its US English phonemes (IPA, stress and spaces removed),
    or None when espeak-ng's bridge is not installed."""
    try:
        from piper import espeakbridge
        from piper.phonemize_espeak import ESPEAK_DATA_DIR
    except ImportError:
        return None
    with _lock:
        espeakbridge.initialize(str(ESPEAK_DATA_DIR))

    @functools.lru_cache(maxsize=65536)
    def phonemes(text: str) -> str:
        with _lock:
            espeakbridge.set_voice("en-us")
            parts = espeakbridge.get_phonemes(text)
        raw = "".join(p for p, _, _ in parts)
        return "".join(c for c in raw if c not in "ˈˌ ʲ-")

    return phonemes


# BPE ranks below this are the most frequent English words (GPT-2's merges, in order)
COMMON_RANK = 5000


@functools.lru_cache(maxsize=1)
def _whole_words() -> tuple[tuple[str, int], ...]:
    """Every whole word of GPT-2's tokenizer (which Whisper uses), as written there
    ("api", "API", "Docker"), with its merge rank, read from openai-whisper's
    ``gpt2.tiktoken``; none if it is missing."""
    import base64

    from mockint.models.registry import package_file

    ranks = package_file("whisper", "assets/gpt2.tiktoken")
    if ranks is None:
        return ()
    out = []
    for line in ranks.read_bytes().splitlines():
        token, rank = line.split()
        word = base64.b64decode(token)
        if word.startswith(b" ") and word[1:].isalpha():
            out.append((word[1:].decode("latin-1"), int(rank)))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The most common English words, lower case (those GPT-2's tokenizer merges first).

    A misheard term is not put in place of one of these ("of course" stays, not "of CORS").
    """
    return frozenset(w.lower() for w, rank in _whole_words() if rank < COMMON_RANK)


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The ordinary English words of GPT-2's tokenizer, lower case: those it holds whole
    and most often writes in lower case ("framework", "client", "node"), so not an
    acronym or a name that text writes capitalised ("API", "Docker", "Java", "Git"). A
    term spelled as one of them is an ordinary word, never joined into; pieces each heard
    as one are what was said ("test client"), a piece such as "api" is the term's."""
    first: dict[str, int] = {}  # lower case: the rank of its most frequent written form
    lower: dict[str, int] = {}
    for w, rank in _whole_words():
        key = w.lower()
        first[key] = min(rank, first.get(key, rank))
        if w == key:
            lower[key] = rank
    return frozenset(w for w, rank in lower.items() if rank == first[w])


@functools.lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Every whole word of GPT-2's tokenizer, in any case, lower-cased: what text writes
    as a word at all ("flake" for Flake, "s" for S), where "oauth" and "boto" are not."""
    return frozenset(w.lower() for w, _ in _whole_words())
