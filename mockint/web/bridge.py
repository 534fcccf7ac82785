"""The practice loop's devices and screen, over a WebSocket.

:class:`Practice <mockint.rehearsal.practice.Practice>` runs unchanged in a thread:
:class:`SocketRecorder` is its microphone (16 kHz PCM from the page's AudioWorklet),
:class:`SocketSpeaker` its voice (the server renders a WAV, the page plays it),
:class:`SocketUI` its screen and keys (JSON messages both ways). ``send`` is any
thread-safe callable that delivers one JSON message to the page.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mockint.bank import Question
from mockint.errors import DeviceError, ModelError, SpeechError
from mockint.grading.assess import Assessment
from mockint.grading.delivery import describe as describe_delivery
from mockint.rehearsal.miccheck import MicCheck
from mockint.rehearsal.screen import Action, CategorySummary, Choice, Listening
from mockint.reports.report import Missed
from mockint.storage.store import Attempt
from mockint.transcript import words_to_dicts

Send = Callable[[dict[str, Any]], None]
ACTIONS = ("done", "skip", "quit", "hint")
CHOICES = ("next", "retry", "repeat", "quit", "edit", "model", "undo")


class Closed(Exception):
    """The page went away."""


class SocketRecorder:
    """A :class:`~mockint.sound.devices.Recorder` fed by the page: 16-bit PCM at 16 kHz."""

    def __init__(self, send: Send):
        self.send = send
        self._q: queue.Queue[np.ndarray | None] = queue.Queue()
        self.recording = False
        self.closed = False

    def push(self, pcm: bytes) -> None:
        if self.recording and len(pcm) >= 2:
            block = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32)
            self._q.put(block / 32768.0)

    def start(self) -> None:
        while not self._q.empty():
            self._q.get_nowait()
        self.recording = True
        self.send({"type": "record"})

    def read(self, timeout: float) -> np.ndarray | None:
        if self.closed:
            raise DeviceError("the page closed: the answer so far is kept")
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        self.recording = False
        self.send({"type": "stop_record"})

    def close(self) -> None:
        self.closed = True
        self._q.put(None)


class SocketSpeaker:
    """Renders speech to WAV files in ``folder`` for the page to play; :meth:`say` waits
    until the page says it has played (or ``stop()``)."""

    def __init__(self, send: Send, folder: Path, voice: Any):
        self.send, self.folder, self.voice = send, folder, voice
        self.engine = getattr(voice, "engine", "none")
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="web-tts")
        self._ready: dict[str, Future[tuple[str, float] | None]] = {}
        self._played = threading.Event()
        self._n = itertools.count()
        self.closed = False

    def _render(self, text: str) -> tuple[str, float] | None:
        from mockint.sound.audio import write_audio

        if self.voice is None:
            return None
        try:
            if hasattr(self.voice, "sentences"):
                chunks = list(self.voice.sentences(text))
                audio, sr = np.concatenate(chunks), int(self.voice.sample_rate)
            else:
                audio, sr = self.voice.synthesize(text)
        except (SpeechError, ModelError, ValueError):
            return None
        name = f"{next(self._n)}.wav"
        write_audio(self.folder / name, audio, sr)
        return f"/speech/{name}", len(audio) / sr

    def prepare(self, text: str, wait: bool = False) -> None:
        if text not in self._ready:
            self._ready[text] = self._pool.submit(self._render, text)
        if wait:
            self._ready[text].result()

    def played(self) -> None:
        self._played.set()

    def say(
        self,
        text: str,
        on_start: Callable[[], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.prepare(text)
        rendered = self._ready.pop(text).result()
        if rendered is None or self.closed:
            return
        url, seconds = rendered
        self._played.clear()
        self.send({"type": "speak", "url": url, "seconds": round(seconds, 2)})
        if on_start is not None:
            on_start()
        waited = 0.0
        while not self._played.wait(0.05) and waited < seconds + 10 and not self.closed:
            waited += 0.05
            if stop is not None and stop():
                self.send({"type": "hush"})
                return

    def close(self) -> None:
        self.closed = True
        self._played.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class SocketUI:
    """The practice screen on the page: what the loop shows goes out as JSON messages;
    keys and buttons come back as actions and choices."""

    def __init__(self, send: Send):
        self.send = send
        self.actions: queue.Queue[Action] = queue.Queue()
        self.choices: queue.Queue[tuple[Choice, str]] = queue.Queue()
        self._stop_speech = threading.Event()
        self._edited = ""

    # -- from the page ------------------------------------------------------------------------

    def receive(self, msg: dict[str, Any]) -> None:
        action, choice = msg.get("action"), msg.get("choice")
        if action in ACTIONS:
            self.actions.put(action)
        elif choice in CHOICES:
            self.choices.put((choice, str(msg.get("text", ""))))
        elif msg.get("type") == "hush":
            self._stop_speech.set()

    def close(self) -> None:
        self.actions.put("quit")
        self.choices.put(("quit", ""))
        self._stop_speech.set()

    # -- PracticeUI ---------------------------------------------------------------------------

    def status(self, message: str) -> None:
        self.send({"type": "status", "text": message})

    def question(self, q: Question, index: int, total: int) -> None:
        self._stop_speech.clear()
        while not self.actions.empty():
            self.actions.get_nowait()
        self.send(
            {
                "type": "question",
                "id": q.id,
                "text": q.text,
                "category": q.category,
                "index": index,
                "total": total,
            }
        )

    def listening(self, state: Listening) -> None:
        self.send(
            {
                "type": "listening",
                "elapsed": round(state.elapsed, 2),
                "remaining": round(state.remaining, 1),
                "level": round(state.level_db, 1),
                "speaking": state.speaking,
                "warn": state.warn,
                "partial": state.partial,
                "hint": state.hint,
            }
        )

    def transcribing(self) -> None:
        self.send({"type": "transcribing"})

    def result(self, a: Assessment, attempt_id: int) -> None:
        self.send(result_message(a, attempt_id))

    def taken(self, attempt_id: int, seconds: float) -> None:
        self.send({"type": "taken", "attempt": attempt_id, "seconds": round(seconds, 1)})

    def model_answer(self, q: Question) -> None:
        self._stop_speech.clear()
        self.send({"type": "model_answer", "text": q.model_answer})

    def interrupted(self) -> bool:
        return self._stop_speech.is_set()

    def action(self) -> Action | None:
        try:
            return self.actions.get_nowait()
        except queue.Empty:
            return None

    def choose(self) -> Choice:
        self.send({"type": "choose"})
        choice, text = self.choices.get()
        self._edited = text
        return choice

    def edit(self, text: str) -> str | None:
        return self._edited or None

    def undo(self, changed: Sequence[tuple[int, str, str]]) -> list[int]:
        """The corrections to put back: the one the page names by number, else all."""
        n = self._edited.strip()
        if n.isdigit() and 1 <= int(n) <= len(changed):
            return [int(n)]
        return list(range(1, len(changed) + 1))

    # -- the microphone check (InterviewUI) ---------------------------------------------------

    def mic_check_start(self, sentence: str, seconds: float) -> None:
        while not self.actions.empty():
            self.actions.get_nowait()
        self.send({"type": "mic_check", "sentence": sentence, "seconds": seconds})

    def mic_level(self, elapsed: float, level_db: float) -> bool:
        """The meter; True (skip the check) once the page says skip, or went away."""
        self.send({"type": "mic_level", "elapsed": round(elapsed, 2), "level": round(level_db, 1)})
        return self.action() in ("skip", "quit")

    def mic_check_result(self, c: MicCheck) -> None:
        self.send(
            {
                "type": "mic_check_result",
                "verdict": c.verdict,
                "passed": c.passed,
                "line": c.line,
                "figures": c.figures(),
                "heard": c.heard,
            }
        )

    def check_again(self) -> bool:
        """After a failed check: True to try again, False to go on to the questions."""
        self.send({"type": "mic_check_choose"})
        choice, _ = self.choices.get()
        return choice == "retry"

    def summary(
        self,
        rows: list[CategorySummary],
        missed: Sequence[Missed] = (),
        answers: Sequence[Attempt] = (),
    ) -> None:
        self.send(
            {
                "type": "summary",
                "rows": [r.__dict__ for r in rows],
                "missed": [{"question": m.question_id, "text": m.text} for m in missed],
                "answers": [
                    {"id": a.id, "question": a.question_id, "score": a.score} for a in answers
                ],
            }
        )


def result_message(a: Assessment, attempt_id: int) -> dict[str, Any]:
    """A graded answer as the page shows it: the library's figures and words, no rule."""
    return {
        "type": "result",
        "attempt": attempt_id,
        "question": a.question.id,
        "score": a.grade.score,
        "transcript": a.transcript.text,
        "words": words_to_dicts(a.transcript.words),
        "corrections": [
            {"word": i, "heard": heard, "shown": shown} for i, heard, shown in a.corrections
        ],
        "key_points": [k.to_dict() for k in a.grade.key_points],
        "notes": list(a.grade.notes),
        "delivery": describe_delivery(a.delivery.to_dict()) if a.delivery else [],
        "star": a.star.to_dict() if a.star else None,
        "star_note": a.star.note if a.star else "",
    }
