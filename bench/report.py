"""Report rendering speed: a store of 1,000 attempts over 200 questions, each format.

    .venv/bin/python bench/report.py [--attempts 1000]

Builds the store in a temporary MOCKINT_HOME (attempts with transcripts and key
points like real ones), then times `mockint report --format F` in-process, from
reading the store to the rendered text. Target: <= 1 s each.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, load_file  # noqa: E402
from mockint.reports.render import RENDERERS  # noqa: E402
from mockint.reports.report import build  # noqa: E402
from mockint.storage.store import Attempt, Store  # noqa: E402
from mockint.text import split_sentences  # noqa: E402


def fill(store: Store, bank: Bank, n: int, seed: int = 0) -> None:
    """n plausible attempts over the bank's questions, spread over 60 days."""
    rng = random.Random(seed)
    qs = list(bank.questions)
    sid = store.start_session(bank.name)
    for i in range(n):
        q = qs[i % len(qs)]
        points = split_sentences(q.model_answer)
        score = max(0.0, min(100.0, rng.gauss(55 + i / n * 20, 18)))
        hits = [rng.random() < score / 100 for _ in points]
        kps = [
            {
                "text": p,
                "covered": hit,
                "status": "covered" if hit else "missed",
                "similarity": rng.random(),
                "match": " ".join(p.split()[:8]),
            }
            for p, hit in zip(points, hits, strict=True)
        ]
        day = 1 + i * 60 // n
        when = f"2026-{9 + day // 31:02d}-{1 + day % 30:02d}T10:{i % 60:02d}:00+00:00"
        store.add_attempt(
            Attempt(
                bank.name,
                q.id,
                q.category,
                " ".join(points[: max(1, len(points) // 2)]),
                round(score, 1),
                score / 100,
                key_points=kps,
                models={"embedder": {"name": "all-MiniLM-L6-v2", "sha256": "53aa5117"}},
                duration=rng.uniform(30, 120),
                session_id=sid,
                graded_at=when,
                delivery={
                    "wpm": rng.uniform(100, 180),
                    "fillers_per_minute": rng.uniform(0, 4),
                    "long_pause_count": rng.randint(0, 2),
                    "seconds": 60.0,
                    "words": 150,
                    "fillers": 2,
                    "long_pauses": [],
                    "flags": [],
                },
            )
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attempts", type=int, default=1000)
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "mockint.db"
        with Store(db) as s:
            fill(s, bank, args.attempts)
        print(f"{args.attempts} attempts over {len(bank.questions)} questions")
        print(f"{'format':<6} {'seconds':>8} {'bytes':>10}")
        for fmt, render in RENDERERS.items():
            t = time.perf_counter()
            with Store(db) as s:
                attempts = s.attempts(bank=bank.name)
            out = render(build(attempts, bank))
            spent = time.perf_counter() - t
            print(f"{fmt:<6} {spent:>8.3f} {len(out.encode()):>10}")
    print("target: <= 0.5 s each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
