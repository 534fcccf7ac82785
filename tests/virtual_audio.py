"""Drive `mockint practice` as a user would, through the virtual microphone and speaker.

The PulseAudio null sinks come from scripts/virtual-audio.sh (started by the
test command before any process imports sounddevice): what mockint plays lands
in `speaker` (captured from `speaker.monitor`), and what is played into
`micfeed` is what mockint hears.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent


def pulse_ready() -> bool:
    return (
        shutil.which("pactl") is not None
        and subprocess.run(["pactl", "info"], capture_output=True).returncode == 0
    )


def espeak_wav(text: str, path: Path, wpm: int = 160) -> np.ndarray:
    """espeak-ng's rendering of text, as 16 kHz float32 (also written to ``path``)."""
    from mockint.sound.audio import load_audio

    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(wpm), "-w", str(path), text], check=True)
    return load_audio(path)


def compose(path: Path, *parts: np.ndarray | float) -> float:
    """Write a 16 kHz WAV of audio arrays and silences (floats, seconds); return its length."""
    audio = np.concatenate(
        [np.zeros(int(p * 16000), np.float32) if isinstance(p, float) else p for p in parts]
    )
    sf.write(path, audio, 16000, subtype="PCM_16")
    return len(audio) / 16000


def last_voiced(path: Path, threshold: float = 0.01) -> float:
    """Seconds into the file of the last sample above ``threshold``."""
    a, sr = sf.read(path, dtype="float32")
    idx = np.nonzero(np.abs(a) > threshold)[0]
    return float(idx[-1]) / sr if len(idx) else 0.0


@dataclass
class Run:
    """One `mockint practice` process and its event log."""

    events_path: Path
    proc: subprocess.Popen[str]
    capture: subprocess.Popen[bytes] | None = None
    played: dict[str, float] = field(default_factory=dict)  # question id -> wall time play began

    def events(self) -> list[dict[str, Any]]:
        if not self.events_path.exists():
            return []
        return [json.loads(line) for line in self.events_path.read_text().splitlines() if line]

    def wait_for(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.events():
                if pred(e):
                    return e
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        out = self.proc.stdout.read() if self.proc.poll() is not None and self.proc.stdout else ""
        raise AssertionError(f"event not seen; exit {self.proc.poll()}; output:\n{out}")


def start_practice(
    home: Path,
    args: list[str],
    capture_to: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = False,
) -> Run:
    """Start `mockint practice` with an event log, stdin closed (it then runs unattended);
    the microphone check is left out unless ``check``."""
    home.mkdir(parents=True, exist_ok=True)
    events = home / "events.jsonl"
    events.unlink(missing_ok=True)
    env = dict(os.environ, MOCKINT_HOME=str(home), **(env or {}))
    args = args if check else ["--no-check", *args]
    capture = None
    if capture_to is not None:
        capture = subprocess.Popen(
            [
                "parec",
                "--device=speaker.monitor",
                "--rate=16000",
                "--channels=1",
                "--format=s16le",
                "--latency-msec=20",
                str(capture_to),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
    exe = Path(sys.executable).parent / "mockint"
    proc = subprocess.Popen(
        [str(exe), "practice", "--events", str(events), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return Run(events, proc, capture)


def hide_packages(folder: Path, *names: str) -> dict[str, str]:
    """Environment for a child Python that cannot find ``names`` (as if uninstalled)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import sys\n"
        f"HIDDEN = {set(names)!r}\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in HIDDEN:\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Hide())\n"
    )
    return {"PYTHONPATH": str(folder)}


def read_lines(proc: subprocess.Popen[str]) -> list[str]:
    """Collect a child's output lines as they come (in a thread)."""
    import threading

    lines: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def play_into_mic(path: Path) -> float:
    """Play a WAV into the virtual microphone, blocking; return the wall time it began."""
    t = time.time()
    subprocess.run(["paplay", "--device=micfeed", str(path)], check=True)
    return t


def raw_capture_seconds_of_sound(raw: Path, threshold: float = 0.01) -> float:
    """Span (s) from the first to the last loud sample of a raw s16le 16 kHz capture."""
    a = np.frombuffer(raw.read_bytes(), dtype="<i2").astype(np.float32) / 32768
    idx = np.nonzero(np.abs(a) > threshold)[0]
    return float(idx[-1] - idx[0]) / 16000 if len(idx) else 0.0
