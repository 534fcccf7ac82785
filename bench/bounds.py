"""How mockint's work stays bounded by what arrives: big batches, huge answers, big banks.

    .venv/bin/python bench/bounds.py [--lines 10000]

1. `mockint grade --batch --json --save` over N text lines (answers to the resume
   bank's questions), in a fresh data directory: seconds to the first result line,
   total seconds, lines a second, peak memory of the process.
2. Grading one 100 KB answer (a run of "A. A. A." and a run of real prose): seconds,
   models already loaded; only the first 2,000 words are graded, the result says so.
3. A 5,000-question bank: import time, and the time of `mockint bank list` /
   `bank show` on it (each a whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import load_file  # noqa: E402

MOCKINT = str(Path(sys.executable).parent / "mockint")


def batch(lines: int, home: Path) -> str:
    bank = load_file(ROOT / "bank" / "resume.toml")
    qs = bank.questions
    src = home.parent / "batch.jsonl"
    with open(src, "w") as f:
        for i in range(lines):
            f.write(
                json.dumps({"question": qs[i % 200].id, "text": qs[(i * 7) % 200].model_answer})
                + "\n"
            )
    env = {**os.environ, "MOCKINT_HOME": str(home)}
    t = time.perf_counter()
    p = subprocess.Popen(
        [MOCKINT, "grade", "--batch", str(src), "--json", "--save"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert p.stdout is not None
    first = None
    n = 0
    for _ in p.stdout:
        n += 1
        if first is None:
            first = time.perf_counter() - t
    p.wait()
    total = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return (
        f"batch of {lines:,} lines: first result after {first:.1f} s, all {n:,} in "
        f"{total:.0f} s ({n / total:.0f} lines/s), peak memory {peak:.0f} MB, "
        f"exit {p.returncode}"
    )


def huge_answers() -> str:
    from mockint.grading.embed import MiniLMEmbedder
    from mockint.grading.grade import grade

    bank = load_file(ROOT / "bank" / "resume.toml")
    q = bank.get("Q9")
    e = MiniLMEmbedder()
    e.load()
    grade("warm up", q, e)
    out = []
    prose = " ".join(x.model_answer for x in bank.questions)
    for name, text in (("'A. A. A.'", "A. " * 34_000), ("prose", prose[:100_000])):
        t = time.perf_counter()
        g = grade(text, q, e)
        took = time.perf_counter() - t
        out.append(f"100 KB answer of {name}: {took:.1f} s ({'; '.join(g.notes)})")
    return "\n".join(out)


def big_bank(home: Path) -> str:
    src = home.parent / "big.txt"
    lines = ["Big bank", "", "- General: Q1-Q5000", ""]
    for i in range(1, 5001):
        lines += [
            f"Q{i}. What is question {i} about?",
            "Answer:",
            f"It is about topic {i}, and why it matters. " * 8,
            "",
        ]
    src.write_text("\n".join(lines))
    env = {**os.environ, "MOCKINT_HOME": str(home)}

    def timed(*args: str) -> float:
        t = time.perf_counter()
        subprocess.run([MOCKINT, *args], env=env, check=True, capture_output=True)
        return time.perf_counter() - t

    imp = timed("bank", "import", str(src), "--name", "big")
    listing = min(timed("bank", "list", "--bank", "big") for _ in range(3))
    show = min(timed("bank", "show", "Q4999", "--bank", "big") for _ in range(3))
    return (
        f"5,000-question bank: import {imp:.2f} s; 'bank list' {listing:.2f} s, "
        f"'bank show' {show:.2f} s (whole processes)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(big_bank(Path(tmp) / "bank-home"), flush=True)
        print(huge_answers(), flush=True)
        print(batch(args.lines, Path(tmp) / "batch-home"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
