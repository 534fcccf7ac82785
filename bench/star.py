"""STAR feedback: per-part accuracy on hand-labelled spoken-style behavioural answers.

Each data set is reported apart, because a figure counts only on answers the rules
were not built from:

* own development / own held-out: tests/data/star-answers.jsonl, 68 answers to the
  resume bank's questions written by the developers (tests/data/star-answers.md);
* others' development: tests/data/star-others.jsonl, 20 answers written for the
  project by other people (other candidates, employers and projects), read while the
  rules were made bank-agnostic;
* held-out (if given with --heldout): answers by others, labelled before the rules
  were run on them and never used to change them.

Each set is read twice: by the grammar alone (what the review page shows when no
embedder is loaded) and with the learned scene reader (star_situation.json, over
all-MiniLM-L6-v2 clause embeddings: what grading uses).

    .venv/bin/python bench/star.py [--show] [--heldout PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.grading.star import PARTS, read  # noqa: E402

DATA = ROOT / "tests" / "data"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sets(heldout: Path | None) -> dict[str, list[dict]]:
    own = load(DATA / "star-answers.jsonl")
    out = {
        "own development": [r for r in own if r["set"] != "held-out"],
        "own held-out": [r for r in own if r["set"] == "held-out"],
        "others' development": load(DATA / "star-others.jsonl"),
    }
    if heldout is not None and heldout.exists():
        out["others' held-out"] = load(heldout)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="Print development disagreements.")
    ap.add_argument("--heldout", type=Path, default=None, help="Held-out answers (JSON Lines).")
    args = ap.parse_args()
    data = sets(args.heldout)
    from mockint.grading.embed import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    print(
        f"{'set':<20} {'reading':<8} {'n':>3} " + " ".join(f"{p:>9}" for p in PARTS) + "   lowest"
    )
    elapsed, n_all = 0.0, 0
    for (name, rows), learned in [(d, k) for d in data.items() for k in (False, True)]:
        t0 = time.perf_counter()
        stars = read([r["text"] for r in rows], embedder if learned else None)
        if not learned:
            elapsed, n_all = elapsed + time.perf_counter() - t0, n_all + len(rows)
        accs = []
        for part in PARTS:
            hits = [s.present(part) == r[part] for s, r in zip(stars, rows, strict=True)]
            accs.append(sum(hits) / len(hits))
            if args.show and "development" in name and learned:
                for s, r in zip(stars, rows, strict=True):
                    if s.present(part) != r[part]:
                        print(f"  {name} {part}: said {s.present(part)}: {r['text'][:100]}")
        cells = " ".join(f"{a:>9.3f}" for a in accs)
        how = "learned" if learned else "grammar"
        print(f"{name:<20} {how:<8} {len(rows):>3} {cells}   {min(accs):.3f}")
    ms = 1e3 * elapsed / n_all
    print(f"target: every part >= 0.85 on answers by others; grammar {ms:.2f} ms/answer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
