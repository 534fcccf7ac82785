"""Word error rate and real-time factor of each Whisper model and engine on FLEURS-en.

    .venv/bin/python bench/transcribe.py [--threads 1] [--data DIR] [--models tiny.en base]

Both sides are normalised with whisper's EnglishTextNormalizer. RTF is
transcription time over audio duration (lower is faster), after one warm-up
call per engine, with word timestamps and the voice gate on as in practice. The
engines run interleaved clip by clip, so the machine's load falls on all alike.

Beside them runs plain faster-whisper (its own ``transcribe``, int8, beam 1 and 5,
word timestamps, no voice gate, on the same weights folder): the reference the default
engine's speed is judged against on whatever machine this runs (an RTF bound set on
one machine does not carry to another; the ratio does).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wer import wer  # noqa: E402
from mockint.hearing.engines import make_transcriber  # noqa: E402
from mockint.hearing.transcribe import WhisperOptions  # noqa: E402
from mockint.models.registry import WHISPER_MODELS, ModelError, ct2_model_dir, find_checkpoint  # noqa: E402
from mockint.sound.audio import load_audio  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "fleurs-en")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", nargs="*", default=list(WHISPER_MODELS))
    args = ap.parse_args()

    clips = [(p, p.with_suffix(".txt").read_text()) for p in sorted(args.data.glob("*.ogg"))]
    audio = [load_audio(p) for p, _ in clips]
    total = sum(len(a) for a in audio) / 16000
    print(f"FLEURS-en: {len(clips)} utterances, {total:.1f} s of speech; threads={args.threads}")
    print(f"{'model':<10} {'engine':<28} {'WER':>7} {'RTF':>6} {'seconds':>8}")
    setups = [
        ("openai", 1, "float32"),
        ("ct2", 1, "int8"),
        ("ct2", 5, "int8"),
        ("ct2", 1, "float32"),
        ("ct2", 5, "float32"),
    ]
    for name in args.models:
        try:
            find_checkpoint(name)
        except ModelError as e:
            print(f"{name:<10} skipped: {e}")
            continue
        engines: list = [
            make_transcriber(
                WhisperOptions(
                    model=name, threads=args.threads, engine=e, beam_size=b, compute_type=c
                )
            )
            for e, b, c in setups
        ]
        engines += [_Plain(name, args.threads, 1), _Plain(name, args.threads, 5)]
        for t in engines:
            t.transcribe(audio[0])  # warm-up: model load, first-call JIT
        hyps: list[list[str]] = [[] for _ in engines]
        spent = [0.0 for _ in engines]
        for a in audio:
            for i, t in enumerate(engines):
                start = time.perf_counter()
                hyps[i].append(t.transcribe(a).text)
                spent[i] += time.perf_counter() - start
        labels = [*setups, ("faster-whisper", 1, "int8"), ("faster-whisper", 5, "int8")]
        for (engine, beam, kind), h, sec in zip(labels, hyps, spent, strict=True):
            err = wer([r for _, r in clips], h)
            label = f"{engine} {kind} beam {beam}"
            print(f"{name:<10} {label:<28} {err:>6.1%} {sec / total:>6.3f} {sec:>8.1f}")
    return 0


class _Plain:
    """faster-whisper as its README runs it: int8, word timestamps, its defaults."""

    def __init__(self, name: str, threads: int, beam: int):
        import os

        from faster_whisper import WhisperModel

        os.environ["HF_HUB_OFFLINE"] = "1"
        folder, _ = ct2_model_dir(name)
        self.beam = beam
        self.model = WhisperModel(
            str(folder), device="cpu", compute_type="int8", cpu_threads=max(1, threads)
        )

    def transcribe(self, audio: np.ndarray) -> SimpleNamespace:
        found, _ = self.model.transcribe(
            audio, language="en", beam_size=self.beam, word_timestamps=True
        )
        return SimpleNamespace(text=" ".join(s.text.strip() for s in found))


if __name__ == "__main__":
    sys.exit(main())
