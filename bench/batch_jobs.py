"""Batch grading of spoken answers with one and with several transcribing processes.

    .venv/bin/python bench/batch_jobs.py [--answers 24] [--jobs 1 2]

Speaks model answers of the resume bank with espeak-ng, then runs
`mockint grade --batch FILE --json --jobs N` (models loaded once per process, the
order kept) and reports answers a second and seconds of audio a second, the
model loading included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import load_file  # noqa: E402

MOCKINT = str(Path(sys.executable).parent / "mockint")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=24)
    ap.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    with tempfile.TemporaryDirectory() as tmp:
        lines, seconds = [], 0.0
        for q in bank.questions[: args.answers]:
            wav = Path(tmp) / f"{q.id}.wav"
            subprocess.run(
                ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), q.model_answer],
                check=True,
            )
            seconds += sf.info(str(wav)).duration
            lines.append(json.dumps({"question": q.id, "audio": str(wav)}))
        src = Path(tmp) / "batch.jsonl"
        src.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "MOCKINT_HOME": str(Path(tmp) / "home")}
        print(f"{len(lines)} spoken answers, {seconds:.0f} s of audio")
        for jobs in args.jobs:
            t = time.perf_counter()
            r = subprocess.run(
                [MOCKINT, "grade", "--batch", str(src), "--json", "--jobs", str(jobs)],
                env=env,
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - t
            n = len(r.stdout.splitlines())
            print(
                f"--jobs {jobs}: {took:.1f} s, {n / took:.2f} answers/s, "
                f"{seconds / took:.1f} audio-seconds/s (exit {r.returncode})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
