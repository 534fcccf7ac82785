"""Train and cross-validate the learned scene reader of STAR feedback (situation).

The grammar of ``mockint/grading/star.py`` proposes clauses with a time or place anchor;
a logistic regression over each clause's sentence embedding (all-MiniLM-L6-v2, names
masked) confirms the ones the grammar alone rejects (a scene told in the present: "I'm
a nurse at ...", "I teach computing at a school in ..."). Its labels:

* positives: the clause that sets the scene in each answer labelled with a situation
  (tests/data/star-scenes.jsonl, chosen by hand);
* negatives: every clause of an answer labelled without one, and, in an answer with
  one, the clauses from its first later action on (actions and results, not scenes).

Development data, three authors: the developers' tests/data/star-answers.jsonl, and
two sets by others, tests/data/star-others.jsonl (= the shared star-dev.jsonl) and
tests/data/heldout/star-heldout.jsonl (held out in the previous round, now read).
Figures are cross-validated: leave one author out, and 5-fold by answer; each fold's
classifier never sees the answers it is scored on.

    .venv/bin/python bench/star_train.py [--write]   (--write: ship the weights)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.grading.star import (  # noqa: E402
    _WEIGHTS,
    PARTS,
    analyse,
    clauses,
    embedding_inputs,
    first_person_verb,
)

DATA = ROOT / "tests" / "data"
AUTHORS = {
    "developers": "star-answers.jsonl",
    "others A": "star-others.jsonl",
    "others B": "heldout/star-heldout.jsonl",
}
C, THRESHOLD = 1.0, 0.5  # sklearn's default strength and the even odds: not tuned


def load() -> list[dict]:
    scenes = {}
    for line in (DATA / "star-scenes.jsonl").read_text().splitlines():
        s = json.loads(line)
        scenes[(s["file"], s["line"])] = s["situation"]
    rows = []
    for author, name in AUTHORS.items():
        for i, line in enumerate((DATA / name).read_text().splitlines()):
            r = json.loads(line)
            r["author"], r["scenes"] = author, scenes.get((name, i), [])
            if r["situation"] and not r["scenes"]:
                raise SystemExit(f"{name}:{i + 1}: a situation without a labelled scene clause")
            rows.append(r)
    return rows


def clause_labels(r: dict) -> list[int | None]:
    """1 a scene, 0 not one, None not used for training (between scene and actions)."""
    cs = clauses(r["text"])
    if not r["situation"]:
        return [0] * len(cs)
    at = [cs.index(s) for s in r["scenes"]]
    acts = [j for j, c in enumerate(cs) if j > max(at) and first_person_verb(c)]
    first_act = min(acts, default=len(cs))
    return [1 if j in at else 0 if j >= first_act else None for j in range(len(cs))]


def embed(rows: list[dict]) -> list[np.ndarray]:
    from mockint.grading.embed import MiniLMEmbedder

    inputs = [embedding_inputs(r["text"]) for r in rows]
    flat = [c for cs in inputs for c in cs]
    tokens = MiniLMEmbedder().tokens(flat)
    vecs = np.array([t.vectors.mean(axis=0) for t in tokens], dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    out, at = [], 0
    for cs in inputs:
        out.append(vecs[at : at + len(cs)])
        at += len(cs)
    return out


def fit(rows: list[dict], vecs: list[np.ndarray], train: list[int]) -> dict:
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for a in train:
        for v, lab in zip(vecs[a], clause_labels(rows[a]), strict=True):
            if lab is not None:
                xs.append(v)
                ys.append(lab)
    m = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    m.fit(np.array(xs), np.array(ys))
    return {
        "embedder": "all-MiniLM-L6-v2",
        "threshold": THRESHOLD,
        "bias": float(m.intercept_[0]),
        "weights": [round(float(w), 6) for w in m.coef_[0]],
        "trained_on": f"{len(train)} answers, {len(ys)} clauses ({sum(ys)} scenes)",
    }


def cross_validate(rows: list[dict], vecs: list[np.ndarray], folds: list[list[int]]) -> list:
    """Each answer analysed with a model trained on the other folds' answers only."""
    import mockint.grading.star as star

    out: list = [None] * len(rows)
    for test in folds:
        held = set(test)
        model = fit(rows, vecs, [a for a in range(len(rows)) if a not in held])
        star.situation_model.cache_clear()
        saved = star.situation_model
        star.situation_model = lambda m=model: m  # type: ignore[assignment]
        try:
            for a in test:
                out[a] = analyse(rows[a]["text"], vecs[a])
        finally:
            star.situation_model = saved
    return out


def table(rows: list[dict], results: dict[str, list]) -> None:
    print(f"{'author':<11} {'reading':<22} {'n':>3} " + " ".join(f"{p:>9}" for p in PARTS))
    for author in [*AUTHORS, "all"]:
        idx = [i for i, r in enumerate(rows) if author in ("all", r["author"])]
        for name, stars in results.items():
            accs = [sum(stars[i].present(p) == rows[i][p] for i in idx) / len(idx) for p in PARTS]
            cells = " ".join(f"{a:>9.3f}" for a in accs)
            print(f"{author:<11} {name:<22} {len(idx):>3} {cells}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"Write the weights to {_WEIGHTS}.")
    args = ap.parse_args()
    rows = load()
    vecs = embed(rows)
    by_author = [[i for i, r in enumerate(rows) if r["author"] == a] for a in AUTHORS]
    order = np.random.default_rng(0).permutation(len(rows))
    by_answer = [sorted(int(i) for i in order[k::5]) for k in range(5)]
    results = {
        "rules only": [analyse(r["text"]) for r in rows],
        "+learned, by author": cross_validate(rows, vecs, by_author),
        "+learned, 5-fold": cross_validate(rows, vecs, by_answer),
    }
    table(rows, results)
    if args.write:
        model = fit(rows, vecs, list(range(len(rows))))
        _WEIGHTS.write_text(json.dumps(model, indent=0) + "\n")
        print(f"wrote {_WEIGHTS} ({model['trained_on']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
