"""How far the grader's scores track human grades.

    .venv/bin/python bench/grading.py [--mohler PATH]

1. Mohler short-answer data (2,273 computer-science answers, human grades 0-5):
   Pearson r between the score and the human average. Published: 0.480 (Mohler
   et al. 2011), 0.592 (Sultan et al. 2016). mockint's mapping (recall weight, floor,
   ceiling) was chosen looking at Mohler and the interview set, so the bench also
   reports it cross-validated by question: for each Mohler question, the mapping that
   correlates best on the other questions scores it; r over all held-out scores.
2. tests/data/interview-grades.jsonl (12 bank questions x 6 kinds of answer, graded
   0-3 by hand): pairwise ordering accuracy within each question, over every pair
   with different grades, and the mean score of each kind.
Both for mockint's grader and for plain key-point coverage (no echo, hedge or
fluency rules), for comparison.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, Question, load_file  # noqa: E402
from mockint.embed import MiniLMEmbedder  # noqa: E402
from mockint.grade import Grade, GradeOptions, grade_many, list_factor  # noqa: E402

# key-point coverage by sentence similarity alone, without echo, hedge or list rules
PLAIN = GradeOptions(recall_weight=0.0, echo_share=2.0, fluent_share=0.0, min_content=0)
SHARED = ROOT.parent / "shared" / "eval" / "mohler" / "mohler_dataset_edited.csv"


def mohler(
    path: Path, embedder: MiniLMEmbedder, options: GradeOptions
) -> tuple[float, float, float]:
    """Pearson r of the score and of the raw coverage with the human average, and r
    cross-validated by question over a grid of mappings."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    items = [
        (r["student_answer"], Question(r["id"], "mohler", r["question"], r["desired_answer"]))
        for r in rows
    ]
    grades = grade_many(items, embedder, options)
    human = np.array([float(r["score_avg"]) for r in rows])
    ours = np.array([g.score for g in grades])
    cov = np.array([g.coverage for g in grades])
    cv = float("nan")
    if options.recall_weight:  # the grid below varies the recall weight: not for plain coverage
        cv = cross_validated(items, grades, human, [r["question"] for r in rows], options)
    return float(np.corrcoef(ours, human)[0, 1]), float(np.corrcoef(cov, human)[0, 1]), cv


GRID = [
    (w, lo, hi)
    for w in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    for lo in (0.2, 0.25, 0.3, 0.35, 0.4)
    for hi in (0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
]


def rescore(
    grades: list[Grade], items: list, options: GradeOptions, w: float, lo: float, hi: float
):
    """Scores under another mapping, with mockint's echo, hedge and list rules unchanged."""
    out = np.zeros(len(grades))
    for n, (g, (text, q)) in enumerate(zip(grades, items, strict=True)):
        if g.key_points and g.key_points[0].match:  # not zeroed by the echo/hedge rule
            s = np.array([w * k.recall + (1 - w) * k.similarity for k in g.key_points])
            credit = np.clip((s - lo) / (hi - lo), 0, 1).mean()
            out[n] = 100 * credit * list_factor(text, q.model_answer, options)
    return out


def cross_validated(
    items: list, grades: list[Grade], human: np.ndarray, question: list[str], options: GradeOptions
) -> float:
    scores = np.array([rescore(grades, items, options, *m) for m in GRID])
    question = np.array(question)
    held_out = np.zeros(len(human))
    for q in np.unique(question):
        train = question != q
        rs = [np.corrcoef(s[train], human[train])[0, 1] for s in scores]
        held_out[~train] = scores[int(np.nanargmax(rs))][~train]
    return float(np.corrcoef(held_out, human)[0, 1])


def interview(
    bank: Bank, embedder: MiniLMEmbedder, options: GradeOptions, unpunctuated: bool = False
) -> tuple[float, dict]:
    rows = [json.loads(x) for x in (ROOT / "tests" / "data" / "interview-grades.jsonl").open()]
    items = []
    for r in rows:
        text = r.get("text") or bank.get(r["text_from"]).model_answer
        if unpunctuated:  # as speech recognition without sentences would give it
            text = re.sub(r"[.,;:!?]", "", text).lower()
        items.append((text, bank.get(r["question"])))
    scores = [g.score for g in grade_many(items, embedder, options)]
    right = total = 0
    by_q: dict[str, list[tuple[int, float]]] = {}
    for r, s in zip(rows, scores, strict=True):
        by_q.setdefault(r["question"], []).append((r["grade"], s))
    for pairs in by_q.values():
        for (ga, sa), (gb, sb) in combinations(pairs, 2):
            if ga != gb:
                total += 1
                right += (sa - sb) * (ga - gb) > 0
    kinds: dict[str, list[float]] = {}
    for r, s in zip(rows, scores, strict=True):
        kinds.setdefault(r["kind"], []).append(s)
    return right / total, {k: float(np.mean(v)) for k, v in kinds.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mohler", type=Path, default=SHARED)
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    e = MiniLMEmbedder()
    e.load()
    head = f"{'grader':<16} {'Mohler r':>9} {'(coverage)':>11} {'(CV)':>6} {'interview order':>16}"
    print(f"{head}  mean score by kind")
    for name, o in (("plain coverage", PLAIN), ("mockint", GradeOptions())):
        r, rc, cv = mohler(args.mohler, e, o) if args.mohler.exists() else (float("nan"),) * 3
        acc, kinds = interview(bank, e, o)
        means = " ".join(f"{k} {v:.0f}" for k, v in kinds.items())
        print(f"{name:<16} {r:>9.3f} {rc:>11.3f} {cv:>6.3f} {acc:>16.3f}  {means}")
    acc, kinds = interview(bank, e, GradeOptions(), unpunctuated=True)
    means = " ".join(f"{k} {v:.0f}" for k, v in kinds.items())
    print(f"{'  unpunctuated':<16} {'':>9} {'':>11} {'':>6} {acc:>16.3f}  {means}")
    print("targets: Mohler r >= 0.55; interview ordering >= 0.95")
    print(throughput(bank, e))
    return 0


def throughput(bank: Bank, embedder: MiniLMEmbedder) -> str:
    """Batch grading speed (answers/s) with cold and warm caches, like `grade --batch`."""
    import json as _json

    from mockint.assess import grade_batch
    from mockint.grade import _caches

    qs = bank.questions
    lines = [
        _json.dumps({"question": qs[i % 30].id, "text": qs[(i * 7) % 200].model_answer})
        for i in range(120)
    ]
    _caches.clear()
    t = time.perf_counter()
    list(grade_batch(lines, bank, embedder, lambda: None, lambda p: None))  # type: ignore[arg-type,return-value]
    cold = len(lines) / (time.perf_counter() - t)
    t = time.perf_counter()
    list(grade_batch(lines, bank, embedder, lambda: None, lambda p: None))  # type: ignore[arg-type,return-value]
    warm = len(lines) / (time.perf_counter() - t)
    return (
        f"grade --batch, 120 answers of ~100 words to 30 questions: {cold:.1f} answers/s "
        f"with nothing cached, {warm:.0f} answers/s with the key points already encoded (target 20)"
    )


if __name__ == "__main__":
    sys.exit(main())
