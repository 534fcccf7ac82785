"""Report speed and memory: a store of N attempts over the bank's questions, each format.

    .venv/bin/python bench/report.py [--attempts 1000] [--home DIR] [--formats text,md]

Builds the store in MOCKINT_HOME=DIR (kept, and reused when it already holds N
attempts; a temporary one without --home; attempts with transcripts, key points and
delivery like real ones), then runs `mockint report --format F` as its own process
and gives its wall time and peak memory (/usr/bin/time). Target (issue 35): the text
report of a 1,000,000-answer store in <= 5 s and <= 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import Bank, load_file  # noqa: E402
from mockint.storage.store import Attempt, Store  # noqa: E402
from mockint.text import split_sentences  # noqa: E402


def fill(store: Store, bank: Bank, n: int, seed: int = 0) -> None:
    """n plausible attempts over the bank's questions, spread over 60 days (one
    transaction)."""
    rng = random.Random(seed)
    qs = list(bank.questions)
    sid = store.start_session(bank.name)
    with store.transaction():
        _fill(store, bank, qs, sid, n, rng)


def _fill(store: Store, bank: Bank, qs: list, sid: int, n: int, rng: random.Random) -> None:  # type: ignore[type-arg]
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
        store.insert_attempt(
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


def measure(home: Path, fmt: str) -> tuple[float, float, int]:
    """(seconds, peak MB, output bytes) of one `mockint report --format fmt` process."""
    out = home / f"bench-report.{fmt}"
    cmd = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "mockint", "report"]
    cmd += ["--format", fmt, "-o", str(out)]
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"report --format {fmt} failed: {r.stderr.strip()[-500:]}")
    seconds, kb = r.stderr.strip().splitlines()[-1].split()
    size = out.stat().st_size
    out.unlink()
    return float(seconds), int(kb) / 1024, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attempts", type=int, default=1000)
    ap.add_argument("--home", type=Path, help="keep (and reuse) the store here")
    ap.add_argument("--formats", default="text,md,json,csv,html")
    args = ap.parse_args()
    bank = load_file(ROOT / "bank" / "resume.toml")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        db = home / "mockint.db"
        with Store(db) as s:
            have = int(s.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
            if have != args.attempts:
                s.db.execute("DELETE FROM attempts")
                fill(s, bank, args.attempts)
        print(f"{args.attempts:,} attempts over {len(bank.questions)} questions, ", end="")
        print(f"store {db.stat().st_size / 1e6:,.0f} MB")
        print(f"{'format':<6} {'seconds':>8} {'peak MB':>8} {'MB out':>8}")
        for fmt in args.formats.split(","):
            seconds, peak, size = measure(home, fmt)
            print(f"{fmt:<6} {seconds:>8.2f} {peak:>8.0f} {size / 1e6:>8.1f}")
    print("target: text <= 5 s and <= 1 GB at 1,000,000 attempts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
