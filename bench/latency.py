"""Practice latency through the virtual microphone, and phrase-by-phrase transcript quality.

    scripts/virtual-audio.sh must be running:  source scripts/virtual-audio.sh start
    .venv/bin/python bench/latency.py [--runs 3] [--model tiny.en] [--question Q131 --wpm 160]
                                      [--closing "That is my answer."]

Part 1 (offline): the FLEURS utterances joined into one long answer with pauses,
transcribed whole and phrase by phrase (as practice does while listening): WER of each.
Part 2 (live): `mockint practice` hears a question's model answer (Q1's, ~60 s) in
espeak-ng's voice played into the virtual microphone (with --closing, then a short
sentence after a pause: too short to be a phrase of its own, it is the tail). For
each run: seconds from the end of the recording (the end-of-answer decision) to the
graded result on screen, and to the transcript being ready, from the last spoken
word to the result, from launch to the first question being spoken, from the question
shown to its first sound at the speaker (captured from the virtual speaker), and the
peak memory of mockint's processes, and the WER of the transcript it graded. Medians
over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wer import wer  # noqa: E402
from mockint.bank import Bank, load_file, to_toml  # noqa: E402
from mockint.hearing.engines import make_transcriber  # noqa: E402
from mockint.hearing.listen import transcribe_by_phrases  # noqa: E402
from mockint.hearing.transcribe import WhisperOptions  # noqa: E402
from mockint.hearing.vad import default_vad  # noqa: E402
from tests.conftest import joined_fleurs  # noqa: E402
from tests.virtual_audio import (  # noqa: E402
    compose,
    espeak_wav,
    last_voiced,
    play_into_mic,
    pulse_ready,
    start_practice,
)


def rss_tree(pid: int) -> int:
    """Resident memory (bytes) of a process and its children."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            continue
    return total


def phrases_vs_whole(model: str) -> None:
    audio, ref = joined_fleurs()
    t = make_transcriber(WhisperOptions(model=model))
    t.load()  # type: ignore[attr-defined]
    start = time.perf_counter()
    whole = t.transcribe(audio).text
    whole_s = time.perf_counter() - start
    start = time.perf_counter()
    phr = transcribe_by_phrases(audio, t, default_vad()).text
    phr_s = time.perf_counter() - start
    print(f"FLEURS joined ({len(audio) / 16000:.0f} s, 10 utterances, 1 s pauses), {model}:")
    print(f"  whole file       WER {wer([ref], [whole]):6.1%}  ({whole_s:.1f} s)")
    print(f"  phrase by phrase WER {wer([ref], [phr]):6.1%}  ({phr_s:.1f} s)")


def live_run(tmp: Path, answer: Path, model: str, said: str) -> dict[str, Any]:
    home = tmp / "home"
    spk = tmp / "speaker.raw"
    run = start_practice(home, ["--bank", "bench", "--model", model], capture_to=spk)
    launched = time.time()
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_tree(run.proc.pid))
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    try:
        run.wait_for(lambda e: e["event"] == "recording", timeout=60)
        assert run.capture is not None
        run.capture.terminate()
        run.capture.wait()
        captured_until = time.time()
        played = play_into_mic(answer)
        run.proc.communicate(timeout=120)
    finally:
        done.set()
        if run.proc.poll() is None:
            run.proc.kill()
    events = run.events()
    ev = {e["event"]: e for e in events}
    shown = ev["result_shown"]["t"]
    stopped = ev["recording_stopped"]["t"]
    late = [e for e in events if e["event"] == "transcribed_phrase" and e["t"] > stopped]
    # when the question's first sound reached the (virtual) speaker: the capture ends at
    # captured_until, so its first loud sample is that many samples earlier (+-30 ms)
    pcm = np.frombuffer(spk.read_bytes(), dtype="<i2")
    loud = np.nonzero(np.abs(pcm) > 0.01 * 32768)[0]
    sound_at = captured_until - (len(pcm) - loud[0]) / 16000 if len(loud) else float("nan")
    return {
        "shown_to_sound": sound_at - ev["question"]["t"],
        "shown_to_play": ev["question_playing"]["t"] - ev["question"]["t"],
        "stop_to_result": shown - ev["recording_stopped"]["t"],
        "stop_to_text": ev["transcribed"]["t"] - ev["recording_stopped"]["t"],
        "last_word_to_result": shown - (played + last_voiced(answer)),
        "launch_to_question": ev["question_playing"]["t"] - launched,
        "peak_mb": peak[0] / 1e6,
        "score": ev["graded"]["score"],
        "answer_s": ev["recording_stopped"]["seconds"],
        "wer": 100 * wer([said], [ev["graded"]["transcript"]]),
        # phrases still being transcribed at the stop: what the wait was spent on
        "late": "; ".join(
            f"phrase at {e['start']:.1f} s ({e['seconds']:.1f} s of audio"
            f"{', tentative' if e['tentative'] else ''}) done "
            f"{e['t'] - stopped:.2f} s after the stop, took {e['took']:.2f} s"
            for e in late
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--skip-offline", action="store_true")
    ap.add_argument("--question", default="Q1", help="whose model answer is spoken (Q1)")
    ap.add_argument("--wpm", type=int, default=150, help="espeak-ng's rate (150)")
    ap.add_argument(
        "--closing", default="", help="a short sentence said 1.2 s after the answer (as many end)"
    )
    args = ap.parse_args()
    if not args.skip_offline:
        phrases_vs_whole(args.model)
    if not pulse_ready():
        print("no virtual audio: run 'source scripts/virtual-audio.sh start' first")
        return 1
    bank = load_file(ROOT / "bank" / "resume.toml")
    q = bank.get(args.question)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "home" / "bank").mkdir(parents=True)
        (tmp / "home" / "bank" / "bench.toml").write_text(to_toml(Bank("bench", (q,))))
        answer = tmp / "answer.wav"
        said = q.model_answer + (" " + args.closing if args.closing else "")
        parts: list[np.ndarray | float] = [espeak_wav(q.model_answer, tmp / "q.wav", wpm=args.wpm)]
        if args.closing:
            parts += [1.2, espeak_wav(args.closing, tmp / "c.wav", wpm=args.wpm)]
        length = compose(answer, 0.5, *parts, 0.2)
        closing = f", then '{args.closing}' after 1.2 s" if args.closing else ""
        print(
            f"\nLive: a {length:.0f} s spoken answer ({q.id}'s model answer{closing}; espeak-ng "
            f"en-us {args.wpm} wpm) through the virtual microphone, {args.model}, {args.runs} "
            "runs, --silence 2.5; wer: % of the transcript practice graded"
        )
        runs = [live_run(tmp, answer, args.model, said) for _ in range(args.runs)]
    keys = [
        "shown_to_sound",
        "shown_to_play",
        "stop_to_result",
        "stop_to_text",
        "last_word_to_result",
        "launch_to_question",
        "peak_mb",
        "score",
        "wer",
    ]
    print(f"{'run':<6}" + "".join(f"{k:>20}" for k in keys))
    for i, r in enumerate(runs, 1):
        print(f"{i:<6}" + "".join(f"{r[k]:>20.2f}" for k in keys))
    print(
        f"{'median':<6}" + "".join(f"{statistics.median(r[k] for r in runs):>20.2f}" for k in keys)
    )
    for i, r in enumerate(runs, 1):
        if r["late"]:
            print(f"run {i}: {r['late']}")
    print(
        "targets: shown_to_sound <= 0.5 s (question on screen to its first sound at the"
        " speaker); stop_to_result <= 0.3 s (each <= 0.6); last_word_to_result <= 3.5 s"
        " (silence + 1); launch_to_question <= 3.0 s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
