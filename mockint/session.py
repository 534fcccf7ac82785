"""Wiring: devices and models meet the pure cores here, and nowhere else.

:class:`Assessor` turns an answer (audio or text) into an :class:`Assessment`
(transcript + grade + which models made them); :func:`save` records it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mockint.audio import (
    SAMPLE_RATE,
    DeviceError,
    Endpointer,
    EndpointOptions,
    Recorder,
    VoiceDetector,
)
from mockint.bank import Bank, Question
from mockint.delivery import Delivery, measure
from mockint.grade import Embedder, Grade, GradeOptions, grade
from mockint.speech import Speaker
from mockint.store import Attempt, Store, now
from mockint.transcribe import PhraseTranscriber, Transcriber, Transcript


@dataclass(frozen=True)
class Assessment:
    """One graded answer, ready to show or store."""

    bank: str
    question: Question
    transcript: Transcript
    grade: Grade
    models: dict[str, dict[str, str | None]]
    audio_path: str | None = None
    started_at: str = ""
    delivery: Delivery | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "question_id": self.question.id,
            "category": self.question.category,
            "question": self.question.text,
            "transcript": self.transcript.text,
            "score": self.grade.score,
            "coverage": round(self.grade.coverage, 4),
            "hedges": list(self.grade.hedges),
            "notes": list(self.grade.notes),
            "key_points": [k.to_dict() for k in self.grade.key_points],
            "duration": round(self.transcript.duration, 3),
            "words": self.transcript.to_dict()["words"],
            "audio": self.audio_path,
            "delivery": self.delivery.to_dict() if self.delivery else None,
            "models": self.models,
        }


def _model_info(m: object) -> dict[str, str | None]:
    return {"name": str(getattr(m, "name", type(m).__name__)), "sha256": getattr(m, "sha256", None)}


class Assessor:
    """Transcribe (if needed) and grade answers with models loaded once."""

    def __init__(
        self,
        embedder: Embedder,
        transcriber: Transcriber | None = None,
        options: GradeOptions | None = None,
    ):
        self.embedder = embedder
        self.transcriber = transcriber
        self.options = options or GradeOptions()

    def assess_text(self, bank: str, question: Question, text: str) -> Assessment:
        """Grade a typed (or already transcribed) answer."""
        return self._assess(bank, question, Transcript(text.strip()), None)

    def assess_audio(
        self, bank: str, question: Question, audio: np.ndarray, audio_path: str | None = None
    ) -> Assessment:
        """Transcribe 16 kHz mono audio, then grade it."""
        if self.transcriber is None:
            raise ValueError("no transcriber given")
        started = now()
        transcript = self.transcriber.transcribe(audio)
        return self._assess(bank, question, transcript, audio_path, started)

    def assess_transcript(
        self, bank: str, question: Question, t: Transcript, audio_path: str | None, started: str
    ) -> Assessment:
        """Grade an answer already transcribed (by phrases, while it was spoken)."""
        return self._assess(bank, question, t, audio_path, started)

    def _assess(
        self, bank: str, q: Question, t: Transcript, audio_path: str | None, started: str = ""
    ) -> Assessment:
        g = grade(t.text, q, self.embedder, self.options)
        models = {"embedder": _model_info(self.embedder)}
        if audio_path is not None and self.transcriber is not None:
            models["transcriber"] = _model_info(self.transcriber)
        return Assessment(bank, q, t, g, models, audio_path, started or now(), measure(t.words))


def keep_recording(src: Path, recordings: Path, question_id: str) -> Path:
    """Copy an answer's audio file into ``recordings/`` under a dated, unique name."""
    stamp = datetime.now()
    d = recordings / stamp.strftime("%Y-%m-%d")
    d.mkdir(parents=True, exist_ok=True)
    base = f"{stamp.strftime('%H%M%S')}-{question_id}-{src.stem}"
    out = d / f"{base}{src.suffix.lower()}"
    n = 1
    while out.exists():
        n += 1
        out = d / f"{base}-{n}{src.suffix.lower()}"
    shutil.copy2(src, out)
    return out


def save(
    store: Store, a: Assessment, session_id: int | None = None, status: str = "complete"
) -> int:
    """Store an assessment as one attempt (its own transaction); return the attempt id."""
    return store.add_attempt(
        Attempt(
            bank=a.bank,
            question_id=a.question.id,
            category=a.question.category,
            transcript=a.transcript.text,
            score=a.grade.score,
            coverage=a.grade.coverage,
            key_points=[k.to_dict() for k in a.grade.key_points],
            words=a.transcript.to_dict()["words"],
            models=a.models,
            audio_path=a.audio_path,
            duration=a.transcript.duration or None,
            session_id=session_id,
            started_at=a.started_at,
            status=status,
            delivery=a.delivery.to_dict() if a.delivery else None,
        )
    )


# --- the practice loop ---------------------------------------------------------------------


class PracticeError(Exception):
    """A practice session cannot go on; the message says why and how to fix it."""


@dataclass(frozen=True)
class PracticeOptions:
    """What a practice session asks and how it listens."""

    # categories to draw from (all if empty)
    categories: tuple[str, ...] = ()
    # how many questions (all selected if None)
    count: int | None = None
    # "bank" order, "random", or "weakest" first
    order: str = "bank"
    # hard limit on one answer (s), and when to warn that time is running out (s left)
    max_seconds: float = 120.0
    warn_seconds: float = 30.0
    # silence (s) after speech that ends the answer
    silence: float = 2.5
    # random order seed (None: different each time)
    seed: int | None = None


@dataclass(frozen=True)
class Listening:
    """The state of a recording, for the live display (~10 updates a second)."""

    elapsed: float
    remaining: float
    level_db: float
    speaking: bool
    warn: bool
    partial: str


@dataclass(frozen=True)
class CategorySummary:
    category: str
    attempts: int
    mean: float
    best: float


class PracticeUI(Protocol):
    """What the loop shows and asks; the CLI implements it with rich."""

    def status(self, message: str) -> None: ...

    def question(self, q: Question, index: int, total: int) -> None: ...

    def listening(self, state: Listening) -> None: ...

    def transcribing(self) -> None: ...

    def result(self, a: Assessment, attempt_id: int) -> None: ...

    def key(self) -> str | None:
        """A key pressed since the last call, without waiting ('enter', 's', 'q'...)."""

    def choose(self) -> str:
        """After a result: 'next', 'retry' (answer again), 'repeat' (hear it again) or 'quit'."""

    def summary(self, rows: list[CategorySummary]) -> None: ...


Events = Callable[[str, dict[str, Any]], None]


class Interrupted(Exception):
    """The session stopped early (Ctrl-C, 'q', or a device failure); attempts so far are kept."""

    def __init__(self, message: str, attempt_id: int | None = None):
        super().__init__(message)
        self.attempt_id = attempt_id


def order_questions(
    questions: list[Question],
    order: str,
    attempts: list[Attempt],
    seed: int | None = None,
) -> list[Question]:
    """Arrange questions: bank order, random, or weakest first (the review schedule)."""
    import random

    if order == "random":
        out = list(questions)
        random.Random(seed).shuffle(out)
        return out
    if order == "weakest":
        from mockint.schedule import weakest_first

        return weakest_first(questions, attempts, datetime.now(timezone.utc))
    return list(questions)


def summarise(attempts: list[Attempt]) -> list[CategorySummary]:
    """Per-category attempts, mean and best score, in first-seen order."""
    by: dict[str, list[float]] = {}
    for a in attempts:
        if a.status == "complete":
            by.setdefault(a.category, []).append(a.score)
    return [CategorySummary(c, len(s), round(sum(s) / len(s), 1), max(s)) for c, s in by.items()]


class Listener:
    """Endpointing and phrase transcription over a stream of 16 kHz blocks.

    Each phrase goes to a worker thread as soon as the endpointer cuts it, so
    when the answer ends only its tail is left to transcribe.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        vad: VoiceDetector,
        options: EndpointOptions | None = None,
        events: Callable[..., None] | None = None,
    ):
        self.ep = Endpointer(vad, options)
        self.phrases = PhraseTranscriber(transcriber)
        self.chunks: list[np.ndarray] = []
        self.samples = 0
        self.cut = 0  # first sample not yet sent for transcription
        self._event = events or (lambda *_a, **_k: None)

    def feed(self, block: np.ndarray) -> bool:
        """Take one block; True once the answer has ended (silence after speech)."""
        self.chunks.append(block)
        self.samples += len(block)
        ended = False
        for ev in self.ep.feed(block):
            if ev.kind == "speech":
                self.cut = max(self.cut, ev.at - int(0.3 * SAMPLE_RATE))
                self._event("speech_start", at=ev.at / SAMPLE_RATE)
            elif ev.kind == "phrase":
                self.phrases.submit(_slice(self.chunks, self.cut, ev.at), self.cut / SAMPLE_RATE)
                self._event("phrase", start=self.cut / SAMPLE_RATE, end=ev.at / SAMPLE_RATE)
                self.cut = ev.at
            elif ev.kind == "end":
                ended = True
        return ended

    @property
    def speaking(self) -> bool:
        return self.ep.started and not self.ep.in_pause

    @property
    def text(self) -> str:
        return self.phrases.text

    def finish(self, timeout: float | None = None) -> Transcript:
        """Send the tail (up to just after the last speech) and return the whole transcript."""
        if self.ep.started:
            end = min(max(self.ep.last_voiced + int(0.3 * SAMPLE_RATE), self.cut), self.samples)
            if end > self.cut:
                self.phrases.submit(_slice(self.chunks, self.cut, end), self.cut / SAMPLE_RATE)
        return self.phrases.finish(self.samples / SAMPLE_RATE, timeout=timeout)

    def abandon(self) -> None:
        self.phrases.finish(0.0, timeout=30)


def transcribe_by_phrases(
    audio: np.ndarray,
    transcriber: Transcriber,
    vad: VoiceDetector,
    options: EndpointOptions | None = None,
    block: int = 480,
) -> Transcript:
    """Transcribe a recording the way practice does while listening: phrase by phrase."""
    listener = Listener(transcriber, vad, options)
    for i in range(0, len(audio), block):
        listener.feed(audio[i : i + block])
    return listener.finish()


class Practice:
    """One practice session: ask, listen, transcribe while listening, grade, store.

    Devices and models come in; the UI and an event sink go out. Each attempt
    is stored the moment it is graded.
    """

    def __init__(
        self,
        bank: Bank,
        store: Store,
        recordings: Path,
        speaker: Speaker,
        recorder: Recorder,
        transcriber: Transcriber,
        embedder: Embedder,
        ui: PracticeUI,
        options: PracticeOptions | None = None,
        vad: VoiceDetector | None = None,
        events: Events | None = None,
    ):
        self.bank, self.store, self.recordings = bank, store, recordings
        self.speaker, self.recorder = speaker, recorder
        self.transcriber, self.embedder = transcriber, embedder
        self.ui = ui
        self.o = options or PracticeOptions()
        self.vad = vad
        self.assessor = Assessor(embedder, transcriber)
        self._events = events or (lambda _n, _d: None)
        self.session_id: int | None = None

    def event(self, name: str, **data: Any) -> None:
        self._events(name, data)

    # -- planning ---------------------------------------------------------------------------

    def plan(self) -> list[Question]:
        """The questions for a new session."""
        qs = self.bank.select(self.o.categories)
        history = self.store.attempts(bank=self.bank.name)
        qs = order_questions(qs, self.o.order, history, self.o.seed)
        return qs[: self.o.count] if self.o.count else qs

    def resume_plan(self) -> list[Question]:
        """The unanswered questions of the last unfinished session (which it continues)."""
        found = self.store.unfinished_session(self.bank.name)
        if found is None:
            raise PracticeError(
                f"no unfinished session of bank '{self.bank.name}' to resume: "
                "start one with 'mockint practice'"
            )
        sid, ids = found
        done = {
            a.question_id for a in self.store.attempts(session_id=sid) if a.status == "complete"
        }
        self.session_id = sid
        out = []
        for qid in ids:
            if qid in done:
                continue
            try:
                out.append(self.bank.get(qid))
            except KeyError:
                continue  # the bank changed since; skip what is gone
        return out

    # -- the loop ---------------------------------------------------------------------------

    def preload(self) -> threading.Thread:
        """Load the models in the background (while the first question is spoken)."""

        def load() -> None:
            for m in (self.transcriber, self.embedder):
                loader = getattr(m, "load", None)
                if loader is not None:
                    with contextlib.suppress(Exception):  # errors resurface on first use
                        loader()

        t = threading.Thread(target=load, name="preload", daemon=True)
        t.start()
        return t

    def run(self, questions: list[Question]) -> list[CategorySummary]:
        """Ask each question in turn; return the session's per-category summary."""
        if not questions:
            raise PracticeError("no questions to ask: check --category and --count")
        if self.session_id is None:
            self.session_id = self.store.start_session(
                self.bank.name, options={"questions": [q.id for q in questions]}
            )
        self.event("session", id=self.session_id, questions=[q.id for q in questions])
        self.preload()
        total = len(questions)
        for i, q in enumerate(questions, 1):
            action = "ask"
            while action != "next":
                if action in ("ask", "repeat"):
                    self.ui.question(q, i, total)
                    self.event("question", id=q.id)
                    self.speaker.say(q.text, on_start=lambda: self.event("question_playing"))
                    self.event("question_spoken", id=q.id)
                result = self.answer(q)
                if result is None:  # skipped
                    break
                action = self.ui.choose()
                if action == "quit":
                    self.event("quit")
                    return self.finish()
        return self.finish()

    def finish(self) -> list[CategorySummary]:
        assert self.session_id is not None
        self.store.end_session(self.session_id)
        rows = summarise(self.store.attempts(session_id=self.session_id))
        self.ui.summary(rows)
        self.event("summary", rows=[r.__dict__ for r in rows])
        return rows

    def answer(self, q: Question) -> Assessment | None:
        """Record one answer, transcribing phrases as they end; grade and store it.

        Returns None when the candidate skips the question.
        """
        from mockint.audio import StreamingWav, default_vad, finalise_recording

        stamp = datetime.now()
        path = (
            self.recordings
            / stamp.strftime("%Y-%m-%d")
            / f"{stamp.strftime('%H%M%S')}-s{self.session_id}-{q.id}.wav"
        )
        try:
            wav = StreamingWav(path)
        except OSError as e:
            raise PracticeError(
                f"cannot write {path}: {e.strerror}: free some space or "
                "set MOCKINT_HOME to another disk"
            ) from e
        listener = Listener(
            self.transcriber,
            self.vad or default_vad(),
            EndpointOptions(silence=self.o.silence),
            self.event,
        )
        started_at = now()
        reason = "limit"
        failure: BaseException | None = None
        last_ui = -1.0  # audio time of the last display update (audio time keeps tests exact)
        self.recorder.start()
        self.event("recording", id=q.id, path=str(path))
        try:
            while True:
                block = self.recorder.read(0.05)
                if block is not None:
                    wav.write(block)
                    if listener.feed(block):
                        reason = "silence"
                        break
                elapsed = wav.seconds
                key = self.ui.key()
                if key == "enter":
                    reason = "enter"
                    break
                if key == "s":
                    reason = "skip"
                    break
                if key == "q":
                    raise KeyboardInterrupt
                if elapsed >= self.o.max_seconds:
                    reason = "limit"
                    break
                if elapsed - last_ui >= 0.1:
                    last_ui = elapsed
                    remaining = max(0.0, self.o.max_seconds - elapsed)
                    level = float(np.sqrt(np.mean(block**2))) if block is not None else 0.0
                    self.ui.listening(
                        Listening(
                            elapsed,
                            remaining,
                            20 * np.log10(max(level, 1e-5)),
                            listener.speaking,
                            remaining <= self.o.warn_seconds,
                            listener.text,
                        )
                    )
        except (KeyboardInterrupt, DeviceError) as e:
            failure = e
            reason = "interrupted"
        except OSError as e:
            failure = PracticeError(
                f"cannot write {path}: {e.strerror}: free some space, then "
                "'mockint practice --resume'"
            )
            reason = "interrupted"
        finally:
            self.recorder.stop()
            with contextlib.suppress(OSError):
                wav.close()
        self.event("recording_stopped", reason=reason, seconds=wav.seconds)
        if reason == "skip":
            listener.abandon()
            path.unlink(missing_ok=True)
            self.event("skipped", id=q.id)
            return None
        self.ui.transcribing()
        transcript = listener.finish(timeout=None if failure is None else 30)
        audio_path = str(path)
        with contextlib.suppress(OSError, RuntimeError):
            audio_path = str(finalise_recording(path))
        a = self.assessor.assess_transcript(self.bank.name, q, transcript, audio_path, started_at)
        status = "complete" if failure is None else "interrupted"
        attempt_id = save(self.store, a, self.session_id, status=status)
        self.event(
            "graded",
            id=q.id,
            attempt=attempt_id,
            score=a.grade.score,
            transcript=transcript.text,
            status=status,
        )
        if failure is not None:
            if isinstance(failure, KeyboardInterrupt):
                raise Interrupted("interrupted", attempt_id) from None
            raise Interrupted(str(failure), attempt_id) from failure
        self.ui.result(a, attempt_id)
        self.event("result_shown", id=q.id, attempt=attempt_id)
        return a


def _slice(chunks: list[np.ndarray], start: int, end: int) -> np.ndarray:
    """Samples [start, end) of the audio held as consecutive blocks."""
    out = []
    pos = 0
    for c in chunks:
        nxt = pos + len(c)
        if nxt > start and pos < end:
            out.append(c[max(0, start - pos) : min(len(c), end - pos)])
        if nxt >= end:
            break
        pos = nxt
    return np.concatenate(out) if out else np.zeros(0, np.float32)


# --- batch grading --------------------------------------------------------------------------


def grade_batch(
    lines: list[str],
    bank: Bank,
    embedder: Embedder,
    transcriber: Callable[[], Transcriber],
    load_audio: Callable[[str], np.ndarray],
    options: GradeOptions | None = None,
) -> list[tuple[dict[str, Any], Assessment | None]]:
    """Grade JSON Lines: ``{"question": ID, "text"|"audio": ...}`` or, for a question
    outside the bank, ``{"question_text": ..., "reference": ..., "text": ...}``.

    Returns one (result, assessment) per line, in order; a bad line gets
    ``{"line": N, "error": ...}`` and no assessment, and the rest still run. Text
    answers are embedded in one batch; the transcriber is made only if needed.
    """
    import json

    from mockint.grade import grade_many

    prepared: list[tuple[int, Question, Transcript, str | None] | dict[str, Any]] = []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            if "question" in item:
                try:
                    q = bank.get(str(item["question"]))
                except KeyError:
                    raise ValueError(
                        f"no question '{item['question']}' in bank '{bank.name}'"
                    ) from None
            elif "question_text" in item and "reference" in item:
                if not re.search(r"\w", str(item["reference"])):
                    raise ValueError("'reference' is empty: give the model answer to grade against")
                q = Question(f"line-{n}", "(ad hoc)", str(item["question_text"]),
                             str(item["reference"]))  # fmt: skip
            else:
                raise ValueError("give 'question' (a bank id), or 'question_text' and 'reference'")
            if "text" in item:
                prepared.append((n, q, Transcript(str(item["text"]).strip()), None))
            elif "audio" in item:
                audio_file = str(item["audio"])
                t = transcriber().transcribe(load_audio(audio_file))
                prepared.append((n, q, t, audio_file))
            else:
                raise ValueError("give the answer as 'text' or 'audio'")
        except Exception as e:  # one bad line must not stop the rest
            msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
            prepared.append({"line": n, "error": f"{type(e).__name__}: {msg}"
                             if isinstance(e, json.JSONDecodeError) else msg})  # fmt: skip
    todo = [p for p in prepared if not isinstance(p, dict)]
    grades = iter(grade_many([(t.text, q) for _, q, t, _ in todo], embedder, options))
    out: list[tuple[dict[str, Any], Assessment | None]] = []
    for p in prepared:
        if isinstance(p, dict):
            out.append((p, None))
            continue
        n, q, t, path = p
        models = {"embedder": _model_info(embedder)}
        if path is not None:
            models["transcriber"] = _model_info(transcriber())
        a = Assessment(bank.name if not q.id.startswith("line-") else "", q, t, next(grades),
                       models, path, now(), measure(t.words))  # fmt: skip
        out.append(({"line": n, **a.to_dict()}, a))
    return out
