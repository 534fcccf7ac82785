"""How far the grader's scores track human grades.

    .venv/bin/python bench/grading.py [--mohler PATH]

1. Mohler short-answer data (2,273 computer-science answers, human grades 0-5):
   Pearson r between the score and the human average. Published: 0.480 (Mohler
   et al. 2011), 0.592 (Sultan et al. 2016). Nothing here is fitted on Mohler.
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
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, Question, load_file  # noqa: E402
from mockint.embed import MiniLMEmbedder  # noqa: E402
from mockint.grade import GradeOptions, grade_many  # noqa: E402

PLAIN = GradeOptions(echo_share=2.0, fluent_share=0.0, min_content=0)
SHARED = ROOT.parent / "shared" / "eval" / "mohler" / "mohler_dataset_edited.csv"


def mohler(
    path: Path, embedder: MiniLMEmbedder, options: GradeOptions
) -> tuple[float, float, float]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    items = [
        (r["student_answer"], Question(r["id"], "mohler", r["question"], r["desired_answer"]))
        for r in rows
    ]
    start = time.perf_counter()
    grades = grade_many(items, embedder, options)
    rate = len(items) / (time.perf_counter() - start)
    human = np.array([float(r["score_avg"]) for r in rows])
    ours = np.array([g.score for g in grades])
    cov = np.array([g.coverage for g in grades])
    # r of the 0-100 score (clipped at the ends) and of the raw coverage beneath it
    return float(np.corrcoef(ours, human)[0, 1]), float(np.corrcoef(cov, human)[0, 1]), rate


def interview(bank: Bank, embedder: MiniLMEmbedder, options: GradeOptions) -> tuple[float, dict]:
    rows = [json.loads(x) for x in (ROOT / "tests" / "data" / "interview-grades.jsonl").open()]
    items = []
    for r in rows:
        text = r.get("text") or bank.get(r["text_from"]).model_answer
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
    head = f"{'grader':<16} {'Mohler r':>9} {'(coverage)':>11} {'interview order':>16}"
    print(f"{head}  mean score by kind")
    for name, o in (("plain coverage", PLAIN), ("mockint", GradeOptions())):
        r, rc, _ = mohler(args.mohler, e, o) if args.mohler.exists() else (float("nan"),) * 3
        acc, kinds = interview(bank, e, o)
        means = " ".join(f"{k} {v:.0f}" for k, v in kinds.items())
        print(f"{name:<16} {r:>9.3f} {rc:>11.3f} {acc:>16.3f}  {means}")
    print("targets: Mohler r >= 0.55; interview ordering >= 0.95")
    print(throughput(bank, e))
    return 0


def throughput(bank: Bank, embedder: MiniLMEmbedder) -> str:
    """Batch grading speed (answers/s) with cold and warm caches, like `grade --batch`."""
    import json as _json

    from mockint.grade import _caches
    from mockint.session import grade_batch

    qs = bank.questions
    lines = [
        _json.dumps({"question": qs[i % 30].id, "text": qs[(i * 7) % 200].model_answer})
        for i in range(120)
    ]
    _caches.clear()
    t = time.perf_counter()
    grade_batch(lines, bank, embedder, lambda: None, lambda p: None)  # type: ignore[arg-type,return-value]
    cold = len(lines) / (time.perf_counter() - t)
    t = time.perf_counter()
    grade_batch(lines, bank, embedder, lambda: None, lambda p: None)  # type: ignore[arg-type,return-value]
    warm = len(lines) / (time.perf_counter() - t)
    return (
        f"grade --batch, 120 answers of ~100 words to 30 questions: {cold:.1f} answers/s "
        f"with nothing cached, {warm:.0f} answers/s with their embeddings cached (target 20)"
    )


if __name__ == "__main__":
    sys.exit(main())
