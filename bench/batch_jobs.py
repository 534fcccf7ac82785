"""Batch grading of spoken answers with one and with several transcribing processes.

    .venv/bin/python bench/batch_jobs.py [--answers 24] [--jobs 1 2] [--rounds 1]
        [--ref OTHER_CHECKOUT]

Speaks model answers of the resume bank with espeak-ng, then runs
`mockint grade --batch FILE --json --jobs N` (models loaded once per process, the
order kept) and reports answers a second and seconds of audio a second, the
model loading included, and the transcripts' WER against the text spoken. With
``--ref``, the same runs of another checkout (e.g. main as it was) go in turn with this
one's, in alternating order each round, so that the ratio stays fair on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wer import wer  # noqa: E402
from mockint.bank import load_file  # noqa: E402


def render(tmp: Path, answers: int) -> tuple[Path, float, dict[str, str]]:
    """The batch file of spoken answers, their seconds of audio, and the text each spoke."""
    bank = load_file(ROOT / "bank" / "resume.toml")
    lines, seconds, spoken = [], 0.0, {}
    for q in bank.questions[:answers]:
        wav = tmp / f"{q.id}.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), q.model_answer],
            check=True,
        )
        seconds += sf.info(str(wav)).duration
        spoken[q.id] = q.model_answer
        lines.append(json.dumps({"question": q.id, "audio": str(wav)}))
    src = tmp / "batch.jsonl"
    src.write_text("\n".join(lines) + "\n")
    return src, seconds, spoken


def run(checkout: Path, src: Path, jobs: int, home: Path) -> tuple[float, list[dict], int]:
    """One `grade --batch` by the checkout's code: seconds taken, results, exit code."""
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(checkout)}
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "mockint", "grade", "--batch", str(src), "--json"]
        + ["--jobs", str(jobs)],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - t
    return took, [json.loads(x) for x in r.stdout.splitlines()], r.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=24)
    ap.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--ref", type=Path, help="another checkout, run in turn with this one")
    args = ap.parse_args()
    checkouts = {"this": ROOT, **({"ref": args.ref.resolve()} if args.ref else {})}
    with tempfile.TemporaryDirectory() as tmp:
        src, seconds, spoken = render(Path(tmp), args.answers)
        print(f"{len(spoken)} spoken answers, {seconds:.0f} s of audio")
        rates: dict[tuple[str, int], list[float]] = {}
        for k in range(args.rounds):
            for jobs in args.jobs:
                order = list(checkouts.items())
                for name, checkout in order if k % 2 == 0 else order[::-1]:
                    took, out, code = run(checkout, src, jobs, Path(tmp) / f"home-{name}")
                    said = [o for o in out if "transcript" in o]
                    refs = [spoken[o["question_id"]] for o in said]
                    e = wer(refs, [o["transcript"] for o in said])
                    rates.setdefault((name, jobs), []).append(seconds / took)
                    print(
                        f"round {k + 1} {name:>4} --jobs {jobs}: {took:.1f} s, "
                        f"{len(out) / took:.2f} answers/s, {seconds / took:.2f} audio-seconds/s, "
                        f"WER {100 * e:.2f}% ({len(said)} transcribed, exit {code})",
                        flush=True,
                    )
        for jobs in args.jobs:
            line = f"--jobs {jobs}: median audio-seconds/s " + ", ".join(
                f"{name} {statistics.median(rates[(name, jobs)]):.2f}" for name in checkouts
            )
            if args.ref:
                pairs = zip(rates[("this", jobs)], rates[("ref", jobs)], strict=True)
                ratio = [a / b for a, b in pairs]
                line += f"; this/ref per round {', '.join(f'{r:.2f}' for r in ratio)}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
