"""The practice loop: ask, listen, transcribe while listening, grade, store.

:class:`Practice` takes its devices, models and screen as arguments (tests inject
their own); :func:`practise` wires the real ones. Each attempt is stored the
moment it is graded; keys reach the loop as actions from the UI.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mockint.bank import Bank, Question
from mockint.errors import DeviceError, MockintError, PracticeError
from mockint.grading.assess import Assessment, Assessor, save
from mockint.grading.grade import Embedder
from mockint.hearing.listen import EndpointOptions, Listener
from mockint.hearing.transcribe import Transcriber
from mockint.hearing.vad import VoiceDetector
from mockint.hearing.vocabulary import bank_terms, bank_words, hints_for
from mockint.rehearsal.miccheck import FLOOR_DB, rms_db
from mockint.rehearsal.schedule import Answer
from mockint.rehearsal.screen import CategorySummary, Listening, PracticeUI
from mockint.reports.report import most_missed
from mockint.sound.audio import StreamingWav, finalise_recording
from mockint.sound.devices import Recorder
from mockint.sound.speech import Speaker
from mockint.storage.store import Attempt, Store, now


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
    silence: float = EndpointOptions.silence
    # random order seed (None: different each time)
    seed: int | None = None
    # "practice": hints, the model answer and retakes; "live": one take per question and
    # no score until the end, as in a real interview
    mode: str = "practice"

    @property
    def live(self) -> bool:
        return self.mode == "live"


Events = Callable[[str, dict[str, Any]], None]


@contextlib.contextmanager
def held_interrupt() -> Iterator[list[int]]:
    """Ctrl-C pressed while an answer is transcribed and stored waits until it is stored,
    saying so; pressed again, it stops at once. Yields the presses held (in the main
    thread only: signals reach no other)."""
    import os
    import signal

    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def hold(signum: int, frame: Any) -> None:
        if held:
            raise KeyboardInterrupt
        held.append(signum)
        with contextlib.suppress(OSError):  # os.write: print is not safe in a handler
            os.write(2, b"\nStopping once this answer is stored (Ctrl-C again: now).\n")

    before = signal.signal(signal.SIGINT, hold)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, before if before is not None else signal.default_int_handler)


class Interrupted(Exception):
    """The session stopped early; attempts so far are kept.

    ``by_user`` for Ctrl-C or quit while answering; otherwise the message says what failed.
    """

    def __init__(self, message: str, attempt_id: int | None = None, by_user: bool = False):
        super().__init__(message)
        self.attempt_id = attempt_id
        self.by_user = by_user


def order_questions(
    questions: list[Question],
    order: str,
    attempts: Iterable[Answer],
    seed: int | None = None,
) -> list[Question]:
    """Arrange questions: bank order, random, or weakest first (the review schedule)."""
    import random

    if order == "random":
        out = list(questions)
        random.Random(seed).shuffle(out)
        return out
    if order == "weakest":
        from mockint.rehearsal.schedule import weakest_first

        return weakest_first(questions, attempts, datetime.now(timezone.utc))
    return list(questions)


def summarise(attempts: list[Attempt]) -> list[CategorySummary]:
    """Per-category attempts, mean and best score, in first-seen order."""
    by: dict[str, list[float]] = {}
    for a in attempts:
        if a.status == "complete":
            by.setdefault(a.category, []).append(a.score)
    return [CategorySummary(c, len(s), round(sum(s) / len(s), 1), max(s)) for c, s in by.items()]


@dataclass(frozen=True)
class Recording:
    """How one answer's recording ended."""

    path: Path
    listener: Listener
    started_at: str
    # "silence", "done" (Enter), "skip", "limit", "quit" (q) or "interrupted" (a failure,
    # or Ctrl-C)
    reason: str
    seconds: float
    failure: BaseException | None = None

    @property
    def by_user(self) -> bool:
        """The candidate stopped the session while answering (q or Ctrl-C)."""
        return self.reason == "quit" or isinstance(self.failure, KeyboardInterrupt)

    @property
    def complete(self) -> bool:
        """The answer ended as answers do, not cut short by a quit or a failure."""
        return self.failure is None and self.reason != "quit"


class Practice:
    """One practice session: ask, listen, transcribe while listening, grade, store.

    Devices and models come in, by name; the UI and an event sink go out.
    """

    def __init__(
        self,
        bank: Bank,
        *,
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
        self.last: tuple[Assessment, int] | None = None  # the latest result shown
        self._preload: threading.Thread | None = None
        self.terms = bank_terms(bank)  # what the transcriber leans toward, per question
        self.words = bank_words(bank)  # what it keeps as heard
        # where a graded answer is kept when the store cannot take it
        self.pending = recordings.parent / "pending"

    def event(self, name: str, **data: Any) -> None:
        self._events(name, data)

    # -- planning ---------------------------------------------------------------------------

    def plan(self) -> list[Question]:
        """The questions for a new session."""
        qs = self.bank.select(self.o.categories)
        # the schedule's figures, read only to order by it (not every stored answer whole)
        history = self.store.answered(self.bank.name) if self.o.order == "weakest" else ()
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
        """Load the models in the background (once), while the first question is spoken: the
        first answer needs them only when its first phrase ends, and loading them (torch on
        the other core) before would slow the voice's first sentence."""
        if self._preload is None:

            def load() -> None:
                for m in (self.transcriber, self.embedder):
                    with contextlib.suppress(Exception):  # errors resurface on first use
                        m.load()

            self._preload = threading.Thread(target=load, name="preload", daemon=True)
            self._preload.start()
        return self._preload

    def _playing(self) -> None:
        """The question's first sound: the models start loading now."""
        self.event("question_playing")
        self.preload()

    def run(self, questions: list[Question]) -> list[CategorySummary]:
        """Ask each question in turn; return the session's per-category summary."""
        if not questions:
            raise PracticeError("no questions to ask: check --category and --count")
        if self.session_id is None:
            self.session_id = self.store.start_session(
                self.bank.name,
                options={"questions": [q.id for q in questions], "mode": self.o.mode},
            )
        self.event("session", id=self.session_id, questions=[q.id for q in questions])
        total = len(questions)
        for i, q in enumerate(questions, 1):
            choice = "repeat"
            while choice != "next":
                if choice == "repeat":
                    self.prepare(q.text, wait=True)  # shown when its voice can start
                    self.ui.question(q, i, total)
                    self.event("question", id=q.id)
                    self.speaker.say(q.text, on_start=self._playing)
                    self.event("question_spoken", id=q.id)
                    self.preload()  # (a silent speaker never starts playing)
                if i < total:  # render the next question now: no phrase is being transcribed yet
                    self.prepare(questions[i].text)
                if self.answer(q) is None or self.o.live:  # skipped, or live: one take
                    break
                choice = self.ui.choose()
                while choice in ("edit", "model", "undo"):
                    if choice == "edit":
                        self.correct_last()
                    elif choice == "undo":
                        self.undo_last()
                    else:
                        self.ui.model_answer(q)
                        self.speaker.say(q.model_answer, stop=self.ui.interrupted)
                    choice = self.ui.choose()
                if choice == "quit":
                    self.event("quit")
                    return self.finish()
        return self.finish()

    def prepare(self, text: str, wait: bool = False) -> None:
        """Let the speaker render ``text`` ahead, if it can (``wait``: until it is done)."""
        self.speaker.prepare(text, wait=wait)

    def finish(self) -> list[CategorySummary]:
        assert self.session_id is not None
        self.store.end_session(self.session_id)
        done = [
            a for a in self.store.attempts(session_id=self.session_id) if a.status == "complete"
        ]
        rows = summarise(done)
        self.ui.summary(rows, most_missed(done, self.bank, limit=8), done)
        self.event("summary", rows=[r.__dict__ for r in rows])
        return rows

    def answer(self, q: Question) -> Assessment | None:
        """Record one answer, transcribing phrases as they end; grade and store it.

        Returns None when the candidate skips the question.
        """
        rec = self.record(q)
        if rec.reason == "skip":
            rec.listener.abandon()
            rec.path.unlink(missing_ok=True)
            self.event("skipped", id=q.id)
            return None
        return self.conclude(q, rec)

    def record(self, q: Question) -> Recording:
        """Record until silence, Enter, skip, the time limit, or a failure."""
        from mockint.hearing.vad import default_vad

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
            hints_for(q, self.terms, self.words),
        )
        started_at = now()
        reason = "limit"
        failure: BaseException | None = None
        self.recorder.start()
        self.event("recording", id=q.id, path=str(path))
        try:
            reason = self._listen(wav, listener, q)
        except (KeyboardInterrupt, DeviceError) as e:
            failure, reason = e, "interrupted"
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
        return Recording(path, listener, started_at, reason, wav.seconds, failure)

    def _listen(self, wav: StreamingWav, listener: Listener, q: Question) -> str:
        """Feed blocks to the file and the listener until the answer ends; say why it ended."""
        last_ui = -1.0  # audio time of the last display update (audio time keeps tests exact)
        shown_hint = ""
        while True:
            block = self.recorder.read(0.05)
            if block is not None:
                wav.write(block)
                if listener.feed(block):
                    return "silence"
            elapsed = wav.seconds
            action = self.ui.action()
            if action == "hint":
                if not self.o.live:
                    shown_hint = self.hint(q, listener.text)
                    last_ui = -1.0
                continue
            if action is not None:
                return action  # "done", "skip" or "quit"
            if elapsed >= self.o.max_seconds:
                return "limit"
            if elapsed - last_ui >= 0.1:
                last_ui = elapsed
                remaining = max(0.0, self.o.max_seconds - elapsed)
                self.ui.listening(
                    Listening(
                        elapsed,
                        remaining,
                        FLOOR_DB if block is None else rms_db(block),
                        listener.speaking,
                        remaining <= self.o.warn_seconds,
                        listener.text,
                        shown_hint,
                        self.o.live,
                    )
                )

    def conclude(self, q: Question, rec: Recording) -> Assessment:
        """Finish the transcript, keep the audio, grade and store; show the result."""
        self.ui.transcribing()
        with held_interrupt() as held:
            transcript = rec.listener.finish(timeout=None if rec.complete else 30)
            self.event("transcribed", words=len(transcript.words))
            audio_path = str(rec.path)
            with contextlib.suppress(OSError, RuntimeError):
                audio_path = str(finalise_recording(rec.path))
            a = self.assessor.assess_transcript(
                self.bank.name, q, transcript, audio_path, rec.started_at, rec.listener.pauses
            )
            status = "complete" if rec.complete else "interrupted"
            attempt_id = save(self.store, a, self.session_id, status, self.pending, self.o.mode)
        if held and rec.failure is None:  # Ctrl-C while it was stored: the session stops now
            rec = replace(rec, failure=KeyboardInterrupt())
        self.event(
            "graded",
            id=q.id,
            attempt=attempt_id,
            score=a.grade.score,
            transcript=transcript.text,
            status=status,
        )
        if rec.by_user:
            raise Interrupted("interrupted", attempt_id, by_user=True) from None
        if rec.failure is not None:
            raise Interrupted(str(rec.failure), attempt_id) from rec.failure
        if self.o.live:
            self.ui.taken(attempt_id, rec.seconds)
            self.event("taken", id=q.id, attempt=attempt_id)
        else:
            self.ui.result(a, attempt_id)
            self.event("result_shown", id=q.id, attempt=attempt_id)
        self.last = (a, attempt_id)
        return a

    def hint(self, q: Question, said: str) -> str:
        """The start of the next key point the answer so far has not covered."""
        from mockint.grading.grade import hint

        text = hint(said, q, self.embedder, cache=self.assessor.cache)
        self.event("hint", id=q.id, hint=text)
        return text or "You have covered every key point: wrap up."

    def correct_last(self) -> None:
        """Let the candidate fix what was heard; regrade, store, show the result again."""
        from mockint.grading.assess import correct

        if self.last is None:
            return
        a, attempt_id = self.last
        text = self.ui.edit(a.transcript.text)
        if text is None or not text.strip() or text.strip() == a.transcript.text:
            return
        try:
            fixed = correct(self.store, attempt_id, a, text, self.assessor)
        except MockintError as e:  # refused, nothing stored: say so and go on
            self.ui.status(f"Not changed: {e}.")
            return
        self.event("corrected", attempt=attempt_id, score=fixed.grade.score)
        self.ui.result(fixed, attempt_id)
        self.last = (fixed, attempt_id)

    def undo_last(self) -> None:
        """Put corrected words the candidate picks back as heard; regrade, store, show."""
        from mockint.grading.assess import undo_corrections

        if self.last is None or not self.last[0].corrections:
            return
        a, attempt_id = self.last
        which = self.ui.undo(a.corrections)
        if not which:
            return
        fixed = undo_corrections(self.store, attempt_id, a, self.assessor, which)
        self.event("undone", attempt=attempt_id, words=len(which), score=fixed.grade.score)
        self.ui.result(fixed, attempt_id)
        self.last = (fixed, attempt_id)
