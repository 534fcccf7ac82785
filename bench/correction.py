"""What the correction does to spoken answers, against the same engine uncorrected.

    nice -n 10 .venv/bin/python bench/correction.py traps [--voices piper:1 flite:1 ...]
    nice -n 10 .venv/bin/python bench/correction.py interview --part dev [--limit N] [--beam N]
    (any set: [--judge base] to score with another model's decoder)

Each answer is rendered by each seeded voice (bench/voices.py; cached), padded with
silence, and heard phrase by phrase as practice hears it (Silero endpointing, tiny.en,
CTranslate2 int8, beam 5, one thread). Each phrase is decoded once; "plain" is that
decode as heard (faster-whisper on the same weights, no correction), "mockint" the same
decode with mockint's correction after it, so the two differ only by the correction and
its cost is timed apart from the decode. With ``--judge``, another model's decoder scores the
texts (its own decode of the phrase, made only for its scorer, is not timed).

traps (tests/data/traps-dev.jsonl, or --data): wrong or off-topic answers holding
ordinary words that sound like the bank's terms. Reported: homophones, how many of the
answers' ``sounds_like`` terms a transcript holds as a word where the text does not say
them; WER; and, graded from each transcript, the most the correction raised a score.

interview (tests/data/interview-grades.jsonl, interview-speech.jsonl and the model
answers): its questions split in two, ``dev`` (where constants may be chosen) and
``held`` (never used to choose anything). Reported: WER; term accuracy (the bank's terms
said, found as words); false terms (the question's terms a wrong or off-topic answer did
not say, found) and unsaid terms (the same in any answer); the most the correction raised
a wrong answer's score; for correct answers (strong, concise, model, fillers), the share
of the typed-vs-spoken grade gap it closed; cost (correction seconds over decode seconds).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.interview_speech import answers, as_said, not_said  # noqa: E402
from bench.voices import CACHE, Voice  # noqa: E402
from bench.wer import wer  # noqa: E402
from mockint.bank import Bank, Question, load_file  # noqa: E402
from mockint.hearing.engines import make_engine  # noqa: E402
from mockint.hearing.listen import transcribe_by_phrases  # noqa: E402
from mockint.hearing.respell import corrected  # noqa: E402
from mockint.hearing.transcribe import Engine, WhisperOptions  # noqa: E402
from mockint.hearing.vad import default_vad  # noqa: E402
from mockint.hearing.vocabulary import (  # noqa: E402
    Hints,
    bank_terms,
    bank_words,
    heard,
    hints_for,
    terms_in,
)
from mockint.transcript import Transcript, joined  # noqa: E402

DATA = ROOT / "tests" / "data"
WRONG = ("other", "restate", "keywords", "trap")
RIGHT = ("strong", "concise", "model", "fillers", "correct")


@dataclass
class Both:
    """A transcriber that decodes once and keeps the phrase both as heard and corrected."""

    engine: Engine
    plain: list[Transcript] = field(default_factory=list)  # each phrase as heard
    decode: float = 0.0
    correct: float = 0.0
    # another model whose decoder scores the texts instead of the engine's (``--judge``;
    # its own decode of the phrase, which only yields its scorer, is not timed)
    judge: Engine | None = None
    local: float | None = None  # with judge: score only the changed words' seconds (--local)
    model: object = None  # the judge's model for --local (bench/local_judge.Model)
    agree: bool = False  # --agree: a term only where the judge's own reading has it

    @property
    def name(self) -> str:
        return self.engine.name

    def transcribe(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Transcript:
        began = time.perf_counter()
        h = self.engine.hear(audio, hints, voiced)
        self.decode += time.perf_counter() - began
        mid = time.perf_counter()
        if self.judge is None:
            score = h.score
        elif self.local is not None:
            from bench.local_judge import LocalJudge

            score = LocalJudge(self.model, audio, h.transcript.words, self.local, self.agree)  # type: ignore[arg-type]
        else:
            score = self.judge.hear(audio, hints, voiced).score
            mid = time.perf_counter()
        out = corrected(h.transcript, hints, score)
        self.correct += time.perf_counter() - mid
        self.plain.append(h.transcript)
        return out


@dataclass(frozen=True)
class Item:
    question: Question
    kind: str
    text: str
    sounds_like: tuple[str, ...] = ()
    said_terms: tuple[str, ...] | None = None  # as the data gives them (else found in text)


@functools.cache
def _words() -> frozenset[str]:
    return bank_words(load_file(ROOT / "bank" / "resume.toml"))


def hints(question: Question, terms: set[str]) -> Hints:
    """What the product tells the transcriber of an answer to ``question`` (the bank's
    terms and words)."""
    return hints_for(question, terms, _words())


def heard_both(both: Both, audio: np.ndarray, hints: Hints) -> tuple[str, str]:
    """An answer's transcript as heard and corrected, phrase by phrase, each joined as
    the product joins phrases (:func:`mockint.transcript.joined`: a phrase's closing full
    stop goes where the next goes on in lower case), so the two differ only by the
    correction."""
    both.plain.clear()
    pad = np.zeros(8000, np.float32)
    said = np.concatenate([pad, audio, pad, pad, pad, pad, pad, pad])
    t = transcribe_by_phrases(said, both, default_vad(), hints=hints)
    return joined(both.plain, 0.0).text, t.text


def from_file(bank: Bank, path: Path, kind: str) -> list[Item]:
    """Answers of a JSON Lines file: ``q`` (a bank question's number) or ``question`` (its
    id), ``text``, and ``sounds_like``, ``said_terms`` where given."""
    rows = [json.loads(x) for x in path.open() if x.strip()]
    out = []
    for r in rows:
        qid = str(r["question"]) if "question" in r else f"Q{r['q']}"
        said = r.get("said_terms")
        out.append(
            Item(
                bank.get(qid if qid.startswith("Q") else f"Q{qid}"),
                kind,
                r["text"],
                tuple(r.get("sounds_like", ())),
                None if said is None else tuple(said),
            )
        )
    return out


def interview(bank: Bank, part: str) -> list[Item]:
    """The interview answers of one part: questions sorted, every other one held out."""
    rows = answers(bank)
    qs = sorted(dict.fromkeys(q for q, _, _ in rows), key=lambda q: int(q[1:]))
    keep = set(qs[0::2] if part == "dev" else qs[1::2])
    return [Item(bank.get(q), k, t) for q, k, t in rows if q in keep]


def grades(texts: list[str], items: list[Item]) -> list[float]:
    from mockint.grading.embed import MiniLMEmbedder
    from mockint.grading.grade import grade_many

    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = MiniLMEmbedder()
    pairs = [(t, i.question) for t, i in zip(texts, items, strict=True)]
    return [g.score for g in grade_many(pairs, _EMBEDDER)]


_EMBEDDER = None


def measure(
    items: list[Item], voice: Voice, both: Both | None, terms: set[str], name: str
) -> dict[str, float]:
    """One voice's figures over the items, plain and corrected; the transcripts are kept
    (``.renders/results/``), and read back instead of decoded where ``both`` is None."""
    kept = CACHE / "results" / f"{name}-{voice.spec.replace(':', '-')}.json"
    if both is None:
        saved = json.loads(kept.read_text())
        plain, fixed = saved["plain"], saved["mockint"]
    else:
        both.decode = both.correct = 0.0
        plain, fixed = [], []
        for it in items:
            p, f = heard_both(both, voice.say(it.text), hints(it.question, terms))
            plain.append(p)
            fixed.append(f)
    refs = [as_said(i.text) for i in items]
    out = {"wer plain": wer(refs, plain), "wer mockint": wer(refs, fixed)}
    if both is not None:
        out["cost"] = both.correct / max(both.decode, 1e-9)
    for name, hyps in (("plain", plain), ("mockint", fixed)):
        out[f"homophones {name}"] = sum(
            heard(x, h) and not heard(x, i.text.replace("-", " "))
            for i, h in zip(items, hyps, strict=True)
            for x in i.sounds_like
        )
        said = [
            set(terms_in(i.text, terms) if i.said_terms is None else i.said_terms) for i in items
        ]
        total = sum(map(len, said)) or 1
        out[f"terms {name}"] = (
            sum(heard(x, h) for s, h in zip(said, hyps, strict=True) for x in s) / total
        )
        out[f"false {name}"] = sum(
            heard(x, h)
            for s, h, i in zip(said, hyps, items, strict=True)
            if i.kind in WRONG
            for x in not_said(hints(i.question, terms).terms, s, i.text)
        )
        out[f"unsaid {name}"] = sum(  # in any answer, right or wrong (case aside)
            heard(x, h)
            for s, h, i in zip(said, hyps, items, strict=True)
            for x in not_said(hints(i.question, terms).terms, s, i.text)
            if x.lower() not in {y.lower() for y in s}
        )
    out.update(neutrality(items, plain, fixed))
    if both is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps({"plain": plain, "mockint": fixed}, indent=0))
    for i, p, f in zip(items, plain, fixed, strict=True):
        if p != f:
            print(f"    {i.question.id} {i.kind}: {diff(p, f)}", file=sys.stderr)
    return out


def neutrality(items: list[Item], plain: list[str], fixed: list[str]) -> dict[str, float]:
    """The most the correction raised a wrong answer's grade, and the share of the typed vs
    spoken grade gap of correct answers it closed."""
    gp, gf = grades(plain, items), grades(fixed, items)
    typed = grades([i.text for i in items], items)
    wrong = [k for k, i in enumerate(items) if i.kind in WRONG]
    out = {
        "wrong raised max": max((gf[k] - gp[k] for k in wrong), default=0.0),
        # raised past the grade of the answer as typed: what the correction added unsaid
        "wrong over typed max": max((gf[k] - max(gp[k], typed[k]) for k in wrong), default=0.0),
    }
    for k in wrong:
        if gf[k] - gp[k] > 2:
            print(
                f"    raised {items[k].question.id} {items[k].kind}: {gp[k]:.1f} -> "
                f"{gf[k]:.1f} (typed {typed[k]:.1f}): {diff(plain[k], fixed[k])}",
                file=sys.stderr,
            )
    right = [k for k, i in enumerate(items) if i.kind in RIGHT]
    if right:
        gap = sum(typed[k] - gp[k] for k in right)
        closed = sum(gf[k] - gp[k] for k in right)
        out["gap closed"] = closed / gap if abs(gap) > 1e-9 else float("nan")
        out["gap points"] = gap / len(right)
    return out


def diff(a: str, b: str) -> str:
    import difflib

    x, y = a.split(), b.split()
    m = difflib.SequenceMatcher(None, x, y, autojunk=False)
    return "; ".join(
        f"{' '.join(x[i1:i2])} -> {' '.join(y[j1:j2])}"
        for op, i1, i2, j1, j2 in m.get_opcodes()
        if op != "equal"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", choices=["traps", "interview", "correct"])
    ap.add_argument("--part", choices=["dev", "held"], default="dev")
    ap.add_argument("--data", type=Path, help="traps, correct: the JSON Lines file")
    ap.add_argument("--voices", nargs="*", default=["piper:1", "flite:1", "espeak:1"])
    ap.add_argument("--limit", type=int, default=0, help="only the first N answers")
    ap.add_argument("--beam", type=int, default=0, help="beam width (default: mockint's)")
    ap.add_argument("--json", action="store_true", help="one JSON line per voice")
    ap.add_argument("--tag", help="a suffix for the name the transcripts are kept under")
    ap.add_argument("--judge", help="score texts with this model's decoder (e.g. base)")
    ap.add_argument(
        "--local", type=float, help="with --judge: score the seconds changed, and S around"
    )
    ap.add_argument("--agree", action="store_true", help="with --local: the judge must read it")
    ap.add_argument(
        "--saved", action="store_true", help="figures from the last run's transcripts, no decoding"
    )
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    terms = bank_terms(bank)
    if args.set == "traps":
        items = from_file(bank, args.data or DATA / "traps-dev.jsonl", "trap")
    elif args.set == "correct":
        if args.data is None:
            raise SystemExit("correct: give --data FILE (answers with said_terms)")
        items = from_file(bank, args.data, "correct")
    else:
        items = interview(bank, args.part)
    items = items[: args.limit or None]
    name = args.data.stem if args.data else f"{args.set}-{args.part}"
    options = WhisperOptions("tiny.en")
    if args.beam:
        options = replace(options, beam_size=args.beam)
        name += f"-beam{args.beam}"
    if args.judge:
        name += f"-judge-{Path(args.judge).name}"
        if args.local is not None:
            name += f"-local{args.local:g}" + ("-agree" if args.agree else "")
    if args.tag:
        name += f"-{args.tag}"
    both = None
    if not args.saved:
        engine = make_engine(options)
        engine.load()
        both = Both(engine)
        if args.judge:
            both.judge = make_engine(replace(options, model=args.judge))
            both.judge.load()
            if args.local is not None:
                from bench.local_judge import Model

                both.local, both.model, both.agree = args.local, Model(both.judge), args.agree
    rows = {}
    print(f"{args.set} {args.part if args.set == 'interview' else ''}: {len(items)} answers")
    for spec in args.voices:
        rows[spec] = measure(items, Voice(spec), both, terms, name)
        r = rows[spec]
        print(json.dumps({"voice": spec, **{k: round(v, 4) for k, v in r.items()}}), flush=True)
    keys = next(iter(rows.values())).keys() if rows else []
    for k in keys:
        vals = [r[k] for r in rows.values()]
        spread = statistics.pstdev(vals) if len(vals) > 1 else 0.0
        print(f"  {k:<18} mean {statistics.fmean(vals):8.4f}  sd {spread:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
