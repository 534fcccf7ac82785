"""How far the grader's scores track human grades.

    .venv/bin/python bench/grading.py [--mohler PATH]

1. Mohler short-answer data (2,273 computer-science answers, human grades 0-5):
   Pearson r between the score and the human average. Published: 0.480 (Mohler
   et al. 2011), 0.592 (Sultan et al. 2016). mockint's mapping (floor, ceiling) was
   chosen looking at Mohler and the interview set, so the bench also reports it
   cross-validated by question: for each Mohler question, the mapping that correlates
   best on the other questions scores it; r over all held-out scores.
2. tests/data/interview-grades.jsonl (14 bank questions, eight kinds of answer graded
   0-3 by hand): pairwise ordering accuracy within each question, over every pair
   with different grades, and the mean score of each kind; one-key-point answers
   against their fair share (100 / key points).
3. Made by rule from the whole bank: "I would say <the question>." for each of the 200
   questions (mean, and how many score 50 or more), and single sentences of model
   answers (score minus fair share).
Both for mockint's grader and for plain key-point coverage (no novelty, echo, hedge,
relevance or fluency rules), for comparison.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, Question, load_file  # noqa: E402
from mockint.grading.embed import MiniLMEmbedder  # noqa: E402
from mockint.grading.grade import GradeOptions, grade_many  # noqa: E402
from mockint.text import split_sentences  # noqa: E402

# key-point coverage by sentence similarity alone, without novelty, echo, hedge, relevance
# or list rules, on the mapping of the similarity-only grader mockint began with
PLAIN = GradeOptions(
    recall_weight=0.0,
    echo_share=2.0,
    fluent_share=0.0,
    min_content=0,
    novelty=0.0,
    given_share=0.0,
    relevant=0.0,
    floor=0.3,
    ceiling=0.6,
    stories=False,
)
SHARED = ROOT.parent / "shared" / "eval" / "mohler" / "mohler_dataset_edited.csv"


class Memo:
    """The encoder with every text's token vectors kept, so a grid of mappings re-grades
    without re-encoding."""

    def __init__(self, embedder: MiniLMEmbedder):
        self.embedder, self.name, self.seen = embedder, embedder.name, {}

    def tokens(self, texts):  # type: ignore[no-untyped-def]
        todo = [t for t in dict.fromkeys(texts) if t not in self.seen]
        self.seen.update(zip(todo, self.embedder.tokens(todo), strict=True))
        return [self.seen[t] for t in texts]


def mohler(path: Path, embedder: Memo, options: GradeOptions) -> tuple[float, float, float]:
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
    if options.novelty:  # the grid is of mockint's mapping, not plain coverage's
        scores = np.array(
            [
                [
                    g.score
                    for g in grade_many(items, embedder, replace(options, floor=lo, ceiling=hi))
                ]
                for lo, hi in GRID
            ]
        )
        cv = cross_validated(scores, human, [r["question"] for r in rows])
    return float(np.corrcoef(ours, human)[0, 1]), float(np.corrcoef(cov, human)[0, 1]), cv


GRID = [(lo, hi) for lo in (0.0, 0.05, 0.1, 0.15, 0.2) for hi in (0.3, 0.35, 0.4, 0.5, 0.6)]


def cross_validated(scores: np.ndarray, human: np.ndarray, question: list[str]) -> float:
    """r of held-out scores: each question scored by the mapping best on the others."""
    qs = np.array(question)
    held_out = np.zeros(len(human))
    for q in np.unique(qs):
        train = qs != q
        rs = [np.corrcoef(s[train], human[train])[0, 1] for s in scores]
        held_out[~train] = scores[int(np.nanargmax(rs))][~train]
    return float(np.corrcoef(held_out, human)[0, 1])


def interview(
    bank: Bank, embedder: Memo, options: GradeOptions, unpunctuated: bool = False
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
    out = {k: float(np.mean(v)) for k, v in kinds.items()}
    out["restate max"] = max(kinds["restate"])
    out["one_point - fair"] = float(
        np.mean(
            [
                s - 100 / len(split_sentences(q.model_answer))
                for r, s, (_, q) in zip(rows, scores, items, strict=True)
                if r["kind"] == "one_point"
            ]
        )
    )
    return right / total, out


def by_rule(bank: Bank, embedder: Memo, options: GradeOptions) -> str:
    """Restatements and single model-answer sentences made by rule from the whole bank."""
    qs = bank.questions
    said = [
        (f"I would say {q.text.rstrip('?')[0].lower()}{q.text.rstrip('?')[1:]}.", q) for q in qs
    ]
    rs = [g.score for g in grade_many(said, embedder, options)]
    one, fair = [], []
    for q in qs:
        sents = split_sentences(q.model_answer)
        one += [(x, q) for x in sents]
        fair += [100 / len(sents)] * len(sents)
    gap = np.array([g.score for g in grade_many(one, embedder, options)]) - np.array(fair)
    return (
        f"'I would say <question>' x {len(qs)}: mean {np.mean(rs):.1f}, "
        f"{sum(r >= 50 for r in rs)} at 50 or more; one model-answer sentence x {len(one)}: "
        f"score - fair share {gap.mean():+.1f} (median {np.median(gap):+.1f})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mohler", type=Path, default=SHARED)
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    raw = MiniLMEmbedder()
    raw.load()
    e = Memo(raw)
    head = f"{'grader':<16} {'Mohler r':>9} {'(coverage)':>11} {'(CV)':>6} {'interview order':>16}"
    print(f"{head}  mean score by kind")
    for name, o in (("plain coverage", PLAIN), ("mockint", GradeOptions())):
        r, rc, cv = mohler(args.mohler, e, o) if args.mohler.exists() else (float("nan"),) * 3
        acc, kinds = interview(bank, e, o)
        means = " ".join(f"{k} {v:.0f}" for k, v in kinds.items())
        print(f"{name:<16} {r:>9.3f} {rc:>11.3f} {cv:>6.3f} {acc:>16.3f}  {means}")
        print(f"{'':<16} {by_rule(bank, e, o)}")
    acc, kinds = interview(bank, e, GradeOptions(), unpunctuated=True)
    means = " ".join(f"{k} {v:.0f}" for k, v in kinds.items())
    print(f"{'  unpunctuated':<16} {'':>9} {'':>11} {'':>6} {acc:>16.3f}  {means}")
    print("targets: Mohler r >= 0.55; interview ordering >= 0.98; strong >= 90, concise >= 80;")
    print("         restate mean <= 15, none >= 35; one_point within 10 of its fair share")
    print(throughput(bank, raw))
    return 0


def throughput(bank: Bank, embedder: MiniLMEmbedder) -> str:
    """Batch grading speed (answers/s) with cold and warm caches, like `grade --batch`."""
    import json as _json

    from mockint.grading.grade import TokenCache
    from mockint.rehearsal.batch import grade_batch

    qs = bank.questions
    lines = [
        _json.dumps({"question": qs[i % 30].id, "text": qs[(i * 7) % 200].model_answer})
        for i in range(120)
    ]
    cache = TokenCache(embedder)
    t = time.perf_counter()
    list(grade_batch(lines, bank, embedder, lambda: None, lambda p: None, cache=cache))  # type: ignore[arg-type,return-value]
    cold = len(lines) / (time.perf_counter() - t)
    t = time.perf_counter()
    list(grade_batch(lines, bank, embedder, lambda: None, lambda p: None, cache=cache))  # type: ignore[arg-type,return-value]
    warm = len(lines) / (time.perf_counter() - t)
    return (
        f"grade --batch, 120 answers of ~100 words to 30 questions: {cold:.1f} answers/s "
        f"with nothing cached, {warm:.0f} answers/s with the key points already encoded (target 20)"
    )


if __name__ == "__main__":
    sys.exit(main())
