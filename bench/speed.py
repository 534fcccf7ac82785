"""The default engine beside plain faster-whisper, in one interleaved run: time, WER, terms.

    nice -n 10 .venv/bin/python bench/speed.py [--set held|dev|interview | --data FILE...]
        [--voices piper:1 flite:1] [--fleurs DIR] [--rounds 2] [--limit N]
        [--skip fleurs|interview] [--setups spliced whole ...]

Every setup reads tiny.en's int8 weights from the same folder on one thread:

- ``spliced`` mockint's default (the encoder reads the phrase and 2 s after it, the rest of
  the window is an empty window's encoding), with the correction after it;
- ``whole`` the same with ``WhisperOptions(encode="whole")`` (the 30 s window encoded);
- ``fw greedy`` / ``fw beam 5``: plain faster-whisper, its own ``WhisperModel.transcribe``
  with word timestamps (no voice gate, no correction): the reference.

FLEURS (``--fleurs``, default tests/data/fleurs-en): the clips one by one (mockint as
``transcribe`` hears a clip) and joined into one file (tests/conftest.py's
``joined_fleurs``: one level, 1 s pauses), which mockint hears phrase by phrase as ``grade
--audio`` and ``mockint transcribe`` hear a recording (``by phrases``: a group of phrases
decoded at once) and in one ``Transcriber.transcribe`` call (``in one call``: no product
path hears a long recording so), faster-whisper in its 30 s windows; ``--rounds`` runs of
the joined file, setups in turn each round. Interview answers: ``held``
(tests/data/heldout's correct and traps answers: report only, never tune on them),
``interview`` (the held-out half of the interview set), ``--data`` files (traps by name) or
``dev`` (tests/data/traps-dev.jsonl and the dev half of the interview set,
bench/correction.py), rendered by each seeded voice (bench/voices.py) and padded as practice
records them; mockint hears them phrase by phrase with the question's hints, faster-whisper
whole. Setups run in turn on each item, so the machine's load falls on all alike; times are
printed as ratios to ``fw greedy`` (wall and CPU). *terms*: the answers' bank terms found as
words; *unsaid*: terms of the question (and what a trap sounds like) a transcript holds
where the answer did not say them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.correction import Item, from_file, hints, interview  # noqa: E402
from bench.interview_speech import as_said, not_said  # noqa: E402
from bench.transcribe import _Plain  # noqa: E402
from bench.voices import Voice  # noqa: E402
from bench.wer import wer  # noqa: E402
from mockint.bank import load_file  # noqa: E402
from mockint.hearing.engines import make_transcriber  # noqa: E402
from mockint.hearing.listen import transcribe_by_phrases  # noqa: E402
from mockint.hearing.transcribe import Transcriber, WhisperOptions  # noqa: E402
from mockint.hearing.vad import default_vad  # noqa: E402
from mockint.hearing.vocabulary import Hints, bank_terms, heard, terms_in  # noqa: E402
from mockint.sound.audio import load_audio  # noqa: E402

DATA = ROOT / "tests" / "data"
MODEL = "tiny.en"


@dataclass
class Tally:
    """One setup's hypotheses and seconds on one set."""

    hyps: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0  # the process's CPU seconds (phrase by phrase, the voice detector
    # runs on one thread while the engine decodes on another)


Hear = Callable[[np.ndarray, Hints | None, bool], str]


def setups(threads: int) -> dict[str, Hear]:
    """Each setup as a function of (audio, hints, by phrases) -> text."""
    vad = default_vad()

    def mockint(encode: str) -> Hear:
        t: Transcriber = make_transcriber(WhisperOptions(MODEL, threads=threads, encode=encode))
        t.load()

        def hear(audio: np.ndarray, hints: Hints | None, phrases: bool) -> str:
            if phrases:
                return transcribe_by_phrases(audio, t, vad, hints=hints).text
            return t.transcribe(audio, hints).text

        return hear

    def plain(beam: int) -> Hear:
        p = _Plain(MODEL, threads, beam)
        return lambda audio, _hints, _phrases: p.transcribe(audio).text

    return {
        "spliced": mockint("spliced"),
        "whole": mockint("whole"),
        "fw greedy": plain(1),
        "fw beam 5": plain(5),
    }


def run(
    hear: dict[str, Hear],
    audio: np.ndarray,
    hints: Hints | None,
    phrases: bool,
    tally: dict[str, Tally],
) -> None:
    for name, h in hear.items():
        began, cpu = time.perf_counter(), time.process_time()
        text = h(audio, hints, phrases and not name.startswith("fw"))
        tally.setdefault(name, Tally()).seconds += time.perf_counter() - began
        tally[name].cpu += time.process_time() - cpu
        tally[name].hyps.append(text)


def table(
    title: str,
    refs: list[str],
    tally: dict[str, Tally],
    extra: Callable[[Tally], str] = lambda _t: "",
) -> None:
    ref = tally.get("fw greedy") or next(iter(tally.values()))  # ratios to this
    base, cpu = ref.seconds, ref.cpu
    print(f"{title}")
    for name, t in tally.items():
        err = wer(refs, t.hyps)
        print(
            f"  {name:<10} WER {err:6.2%}  {t.seconds:6.1f} s x{t.seconds / base:5.2f}"
            f"  cpu {t.cpu:6.1f} s x{t.cpu / cpu:5.2f}{extra(t)}",
            flush=True,
        )


def fleurs(hear: dict[str, Hear], folder: Path, rounds: int) -> None:
    from tests.conftest import joined_fleurs

    clips = [(p, p.with_suffix(".txt").read_text()) for p in sorted(folder.glob("*.ogg"))]
    audio = [load_audio(p) for p, _ in clips]
    refs = [r for _, r in clips]
    for h in hear.values():
        h(audio[0], None, False)  # warm-up
    per_clip: dict[str, Tally] = {}
    for a in audio:
        run(hear, a, None, False, per_clip)
    seconds = sum(map(len, audio)) / 16000
    table(f"FLEURS per clip ({len(audio)} clips, {seconds:.0f} s)", refs, per_clip)
    joined, ref = joined_fleurs()
    whole_file = {k: v for k, v in hear.items() if not k.startswith("fw")}
    by_phrases: dict[str, Tally] = {}
    as_one: dict[str, Tally] = {}
    for _ in range(rounds):
        run(hear, joined, None, True, by_phrases)
        run(whole_file, joined, None, False, as_one)
    as_one["fw greedy"] = by_phrases["fw greedy"]
    took = rounds * len(joined) / 16000
    table(
        f"FLEURS joined ({len(joined) / 16000:.0f} s x {rounds}), mockint by phrases, RTF "
        f"of fw greedy {by_phrases['fw greedy'].seconds / took:.3f}",
        [ref] * rounds,
        by_phrases,
    )
    table("FLEURS joined, mockint in one call (Transcriber.transcribe)", [ref] * rounds, as_one)


def answers(kind: str, files: list[Path] | None = None) -> list[Item]:
    bank = load_file(ROOT / "bank" / "resume.toml")
    if files:  # a trap file says so in its name
        return [
            item
            for f in files
            for item in from_file(bank, f, "trap" if "traps" in f.name else "correct")
        ]
    if kind == "interview":  # the interview bench's held-out half (bench/correction.py)
        return interview(bank, "held")
    if kind == "held":
        return from_file(bank, DATA / "heldout" / "correct-heldout.jsonl", "correct") + from_file(
            bank, DATA / "heldout" / "traps-heldout.jsonl", "trap"
        )
    return from_file(bank, DATA / "traps-dev.jsonl", "trap") + interview(bank, "dev")


def spoken(hear: dict[str, Hear], items: list[Item], voices: list[str]) -> None:
    terms = bank_terms(load_file(ROOT / "bank" / "resume.toml"))
    pad = np.zeros(8000, np.float32)
    said_terms = [
        set(terms_in(i.text, terms) if i.said_terms is None else i.said_terms) for i in items
    ]
    unsaid_terms = [  # the data spell said terms as said ("python" the snake): case aside
        [
            x
            for x in not_said(
                dict.fromkeys([*hints(i.question, terms).terms, *i.sounds_like]), s, i.text
            )
            if x.lower() not in {y.lower() for y in s}
        ]
        for i, s in zip(items, said_terms, strict=True)
    ]

    def extra(t: Tally) -> str:
        pairs = list(zip(t.hyps, said_terms, unsaid_terms, strict=True))
        found = sum(heard(x, h) for h, s, _ in pairs for x in s)
        unsaid = [x for h, _, u in pairs for x in u if heard(x, h)]
        share = found / (sum(map(len, said_terms)) or 1)
        return f"  terms {share:6.2%}  unsaid {len(unsaid)} {' '.join(unsaid)}"

    for spec in voices:
        voice = Voice(spec)
        tally: dict[str, Tally] = {}
        for it in items:
            said = np.concatenate([pad, voice.say(it.text), *[pad] * 6])
            run(hear, said, hints(it.question, terms), True, tally)
        seconds = sum(len(voice.say(i.text)) for i in items) / 16000
        table(
            f"{spec}: {len(items)} answers, {seconds:.0f} s",
            [as_said(i.text) for i in items],
            tally,
            extra,
        )
        for k, i in enumerate(items):
            a, b = tally["spliced"].hyps[k], tally["whole"].hyps[k]
            if a != b:
                print(f"    {i.question.id} {i.kind}: {_diff(b, a)}", file=sys.stderr)


def _diff(a: str, b: str) -> str:
    from bench.correction import diff

    return diff(a, b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=["held", "dev", "interview"], default="held")
    ap.add_argument("--data", type=Path, nargs="*", help="answers' JSON Lines files instead")
    ap.add_argument("--voices", nargs="*", default=["piper:1", "flite:1", "espeak:1"])
    ap.add_argument("--fleurs", type=Path, default=DATA / "fleurs-en")
    ap.add_argument("--rounds", type=int, default=2, help="runs of the joined FLEURS file")
    ap.add_argument("--limit", type=int, default=0, help="only the first N answers")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip", choices=["fleurs", "interview"])
    ap.add_argument("--setups", nargs="*", help="only these (--skip fleurs)")
    args = ap.parse_args()
    hear = setups(args.threads)
    if args.setups:
        unknown = sorted(set(args.setups) - set(hear))
        if unknown:
            raise SystemExit(
                f"--setups: no setup {', '.join(unknown)}: choose from {', '.join(hear)}"
            )
        if args.skip != "fleurs":
            raise SystemExit("--setups: with --skip fleurs (FLEURS compares against fw greedy)")
        hear = {k: v for k, v in hear.items() if k in args.setups}
    if args.skip != "fleurs":
        fleurs(hear, args.fleurs, args.rounds)
    if args.skip != "interview":
        items = answers(args.set, args.data)[: args.limit or None]
        spoken(hear, items, args.voices)
    return 0


if __name__ == "__main__":
    sys.exit(main())
