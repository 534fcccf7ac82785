"""Whether CTranslate2 batches raise throughput here: per phrase CPU seconds of Whisper's
encoder, beam search and alignment, one phrase a call against B phrases a call.

    .venv/bin/python bench/ct2_batch.py [--model tiny.en] [--batch 2 4] [--rounds 4]

Cuts 12 s phrases from an espeak-ng render of a model answer, and times (process CPU time,
which other programs' load moves less than the clock) the same phrases one a call and B a
call, in turn each round, on the threads a batch job has (one). Alignment is timed as the
correction asks it: several texts against one phrase's encoding.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockint.bank import load_file  # noqa: E402

PHRASE = 12.0  # seconds a phrase (practice's phrases are 4-20 s)


def cpu(f: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Process CPU seconds of one call."""
    t = time.process_time()
    f(*args, **kwargs)
    return time.process_time() - t


def main() -> int:
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    from mockint.models.registry import ct2_model_dir
    from mockint.sound.audio import load_audio

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--batch", type=int, nargs="*", default=[2, 4])
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    n = max(args.batch)
    folder, _ = ct2_model_dir(args.model)
    m = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="int8", intra_threads=1)
    text = " ".join(q.model_answer for q in load_file(ROOT / "bank" / "resume.toml").questions[:6])
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "answer.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text], check=True)
        audio = load_audio(wav)
    step = int(PHRASE * 16000)
    assert len(audio) >= n * step, "the render is too short for the largest batch"
    fe = FeatureExtractor()
    feats = []
    for k in range(n):
        f = fe(audio[k * step : (k + 1) * step])[:, :3000]
        feats.append(np.pad(f, ((0, 0), (0, 3000 - f.shape[1]))).astype(np.float32))
    start = [50257]  # <|startoftranscript|> of the English-only models, with timestamps
    kw: dict[str, Any] = dict(beam_size=5, max_length=448, suppress_blank=True)
    kw.update(suppress_tokens=[-1], max_initial_timestamp_index=50, return_scores=True)
    encs = [np.asarray(m.encode(ctranslate2.StorageView.from_array(f[None]))) for f in feats]
    tokens = [
        [
            t
            for t in m.generate(ctranslate2.StorageView.from_array(e), [start], **kw)[
                0
            ].sequences_ids[0]
            if t < 50256
        ]
        for e in encs
    ]
    texts = [tokens[0][: len(tokens[0]) - k] for k in range(6)]  # six texts, one encoding
    sv = ctranslate2.StorageView.from_array

    def stage(b: int) -> dict[str, float]:
        """CPU seconds a phrase, phrases taken b a call."""
        out = {"encode": 0.0, "generate": 0.0, "align": 0.0}
        for g in range(0, n, b):
            x, e = sv(np.ascontiguousarray(np.stack(feats[g : g + b]))), encs[g : g + b]
            out["encode"] += cpu(m.encode, x)
            ex = sv(np.ascontiguousarray(np.concatenate(e)))
            out["generate"] += cpu(m.generate, ex, [start] * len(e), **kw)
        one = sv(encs[0])
        if b == 1:
            out["align"] = sum(cpu(m.align, one, start, [t], 1200) for t in texts)
        else:
            six = sv(np.ascontiguousarray(np.repeat(encs[0], len(texts), 0)))
            out["align"] = cpu(m.align, six, start, texts, [1200] * len(texts))
        return {"encode": out["encode"] / n, "generate": out["generate"] / n, "align": out["align"]}

    seen: dict[int, list[dict[str, float]]] = {}
    for r in range(args.rounds):
        sizes = [1, *args.batch]
        for b in sizes if r % 2 == 0 else sizes[::-1]:
            seen.setdefault(b, []).append(stage(b))
    print(f"{args.model}, {n} phrases of {PHRASE:.0f} s, {args.rounds} rounds, CPU s (median)")
    print("batch  encode/phrase  beam-5 generate/phrase  align of 6 texts (one encoding)")
    for b in [1, *args.batch]:
        med = {k: statistics.median(x[k] for x in seen[b]) for k in seen[b][0]}
        print(f"{b:>5}  {med['encode']:>13.3f}  {med['generate']:>22.3f}  {med['align']:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
