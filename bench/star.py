"""STAR feedback: per-part accuracy on hand-labelled spoken-style behavioural answers.

tests/data/star-answers.jsonl holds 68 answers to the resume bank's behavioural and
career questions, written by the developers in a spoken style (fillers, run-ons,
"we" stories, generic habits, opinions), each part marked present or absent by hand
(tests/data/star-answers.md says how). The rules were written reading the 52
"development" answers; the 16 "held-out" ones were written and labelled afterwards
and not used to change the rules.

    .venv/bin/python bench/star.py [--show]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mockint.grading.star import PARTS, analyse

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "star-answers.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="Print every disagreement.")
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    held_n = sum(r["set"] == "held-out" for r in rows)
    print(
        f"{len(rows)} answers; accuracy per part: all / development {len(rows) - held_n}"
        f" / held-out {held_n}"
    )
    worst = 1.0
    for part in PARTS:
        hits = []
        for i, r in enumerate(rows):
            got = analyse(r["text"]).present(part)
            hits.append(got == r[part])
            if args.show and got != r[part]:
                print(f"  {part:<9} #{i + 1} said {got}, labelled {r[part]}: {r['text'][:90]}")
        acc = sum(hits) / len(hits)
        worst = min(worst, acc)
        dev = [h for h, r in zip(hits, rows, strict=True) if r["set"] != "held-out"]
        held = [h for h, r in zip(hits, rows, strict=True) if r["set"] == "held-out"]
        print(
            f"{part:<10} {acc:.3f}   {sum(dev) / len(dev):.3f}   {sum(held) / len(held):.3f}"
            f"   (labelled present {sum(r[part] for r in rows)})"
        )
    print(f"lowest part accuracy {worst:.3f} (target >= 0.85)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
