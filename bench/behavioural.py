"""Behavioural grades: a coach's order, story > vague > off-topic, on every question.

tests/data/behavioural-answers.jsonl (development; tests/data/star-others.md says who
wrote it) holds, for five behavioural questions of the resume bank, a strong specific
STAR story, a vague answer of platitudes and a fluent answer to another question. The
bench prints each kind's mean score and, per question, whether the three are in the
coach's order, for mockint's grade and for key-point coverage alone (the grade before
behavioural answers were read as stories). A held-out file of the same form is
reported apart (--heldout). Targets: stories' mean >= 60, vague <= 35, off-topic <= 10.

    .venv/bin/python bench/behavioural.py [--heldout PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, load_file  # noqa: E402
from mockint.grading.embed import MiniLMEmbedder  # noqa: E402
from mockint.grading.grade import GradeOptions, grade_many  # noqa: E402

DEV = ROOT / "tests" / "data" / "behavioural-answers.jsonl"
KINDS = ("story", "vague", "offtopic")


def qid(row: dict) -> str:
    q = str(row["q"])
    return q if q.startswith("Q") else f"Q{q}"


def report(name: str, rows: list[dict], bank: Bank, embedder: MiniLMEmbedder) -> None:
    for label, options in (
        ("mockint", GradeOptions()),
        ("key points", GradeOptions(stories=False)),
    ):
        items = [(r["text"], bank.get(qid(r))) for r in rows]
        scores = [g.score for g in grade_many(items, embedder, options)]
        by_q: dict[str, dict[str, list[float]]] = {}
        for r, s in zip(rows, scores, strict=True):
            by_q.setdefault(qid(r), {}).setdefault(r["kind"], []).append(s)
        means = {
            k: np.mean([s for r, s in zip(rows, scores, strict=True) if r["kind"] == k])
            for k in KINDS
        }
        ordered = sum(
            min(d["story"]) > max(d["vague"]) and min(d["vague"]) > max(d["offtopic"])
            for d in by_q.values()
            if all(k in d for k in KINDS)
        )
        print(
            f"{name:<12} {label:<11} story {means['story']:5.1f}  vague {means['vague']:5.1f}"
            f"  off-topic {means['offtopic']:5.1f}   in order on {ordered}/{len(by_q)} questions"
        )
        if label == "mockint":
            for q, d in by_q.items():
                cells = "  ".join(
                    f"{k} {' '.join(f'{s:5.1f}' for s in d.get(k, []))}" for k in KINDS
                )
                print(f"    {q:<5} {cells}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heldout", type=Path, default=None, help="Held-out answers (JSON Lines).")
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml", "resume")
    embedder = MiniLMEmbedder()
    load = lambda p: [json.loads(x) for x in p.read_text().splitlines() if x.strip()]  # noqa: E731
    report("development", load(DEV), bank, embedder)
    if args.heldout is not None and args.heldout.exists():
        report("held-out", load(args.heldout), bank, embedder)
    print("targets: story > vague > off-topic on every question; means >= 60, <= 35, <= 10")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
