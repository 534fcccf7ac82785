"""Assessment: an answer (audio, transcript or text) graded and measured, ready to keep.

:class:`Assessor` is the one builder of an :class:`Assessment`: it transcribes if
need be, grades (``grade.py``) and measures delivery (``delivery.py``), and notes
which models did it. :func:`save` stores one; :mod:`mockint.rehearsal.batch` grades JSON Lines.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from mockint.bank import MAX_ANSWER_CHARS, Question
from mockint.errors import MockintError, StoreError
from mockint.grading.delivery import Delivery, DeliveryOptions, length_band, measure
from mockint.grading.grade import Embedder, Grade, GradeOptions, TokenCache, grade_many
from mockint.grading.star import Star
from mockint.grading.star import read as read_star
from mockint.hearing.transcribe import Transcriber
from mockint.hearing.vocabulary import Hints
from mockint.storage.intake import import_pending, keep_pending
from mockint.storage.recordings import safe_stem
from mockint.storage.store import Attempt, Store, new_uid, now
from mockint.transcript import (
    Transcript,
    corrections,
    restored,
    words_from_dicts,
    words_to_dicts,
)


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
    # STAR feedback, for behavioural questions (it informs; the score is the grade)
    star: Star | None = None

    @property
    def notes(self) -> list[str]:
        """The grader's notes, then the STAR note (what is stored and shown)."""
        return [*self.grade.notes, *([self.star.note] if self.star else [])]

    @property
    def corrections(self) -> list[tuple[int, str, str]]:
        """(word index, as heard, as shown) of each word a correction changed, as the
        transcript still shows it (none once the user retyped it)."""
        return corrections(self.transcript.text, self.transcript.words)

    def to_dict(self) -> dict[str, Any]:
        """The fields of ``grade --json`` (docs/usage.md lists them)."""
        return {
            "bank": self.bank,
            "question_id": self.question.id,
            "category": self.question.category,
            "question": self.question.text,
            "transcript": self.transcript.text,
            "score": self.grade.score,
            "coverage": round(self.grade.coverage, 4),
            "hedges": list(self.grade.hedges),
            "notes": self.notes,
            "star": self.star.to_dict() if self.star else None,
            "key_points": [k.to_dict() for k in self.grade.key_points],
            "duration": round(self.transcript.duration, 3),
            "words": words_to_dicts(self.transcript.words),
            "heard_text": self.transcript.heard_text,
            "corrected_words": len(self.corrections),
            "audio": self.audio_path,
            "delivery": self.delivery.to_dict() if self.delivery else None,
            "models": self.models,
        }


def model_info(m: Transcriber | Embedder) -> dict[str, str | None]:
    """A model's name and sha256, as an attempt records them."""
    return {"name": m.name, "sha256": m.sha256}


class Assessor:
    """Transcribe (if needed) and grade answers with models loaded once."""

    def __init__(
        self,
        embedder: Embedder,
        transcriber: Transcriber | None = None,
        options: GradeOptions | None = None,
        cache: TokenCache | None = None,
    ):
        self.embedder = embedder
        self.transcriber = transcriber
        self.options = options or GradeOptions()
        # the model answers' vectors, kept while this assessor grades
        self.cache = cache if cache is not None else TokenCache(embedder)

    def assess_text(self, bank: str, question: Question, text: str) -> Assessment:
        """Grade a typed (or already transcribed) answer."""
        return self.assess_transcript(bank, question, Transcript(text.strip()), None, now())

    def assess_audio(
        self,
        bank: str,
        question: Question,
        audio: np.ndarray,
        audio_path: str | None = None,
        hints: Hints | None = None,
    ) -> Assessment:
        """Transcribe 16 kHz mono audio phrase by phrase as practice does (with the
        question's ``hints``), then grade it."""
        if self.transcriber is None:
            raise ValueError("no transcriber given")
        from mockint.hearing.listen import heard_by_phrases
        from mockint.hearing.vad import default_vad

        started = now()
        transcript, pauses = heard_by_phrases(audio, self.transcriber, default_vad(), hints=hints)
        return self.assess_transcript(bank, question, transcript, audio_path, started, pauses)

    def assess_transcript(
        self,
        bank: str,
        question: Question,
        t: Transcript,
        audio_path: str | None,
        started: str,
        pauses: Sequence[tuple[float, float]] | None = None,
    ) -> Assessment:
        """Grade an answer already transcribed (by phrases, while it was spoken); ``pauses``
        are its long pauses from voice activity."""
        g = grade_capped([(t.text, question)], self.embedder, self.options, self.cache)[0]
        return self.build(bank, question, t, g, audio_path, started, pauses)

    def build(
        self,
        bank: str,
        question: Question,
        t: Transcript,
        g: Grade,
        audio_path: str | None,
        started: str = "",
        pauses: Sequence[tuple[float, float]] | None = None,
    ) -> Assessment:
        """The Assessment of a graded transcript: delivery measured, models noted."""
        models = {"embedder": model_info(self.embedder)}
        if audio_path is not None and self.transcriber is not None:
            models["transcriber"] = model_info(self.transcriber)
        return Assessment(
            bank,
            question,
            t,
            g,
            models,
            audio_path,
            started or now(),
            measure(t.words, _length(question), pauses),
            (g.star or read_star([t.text[:MAX_ANSWER_CHARS]], self.embedder)[0])
            if question.behavioural
            else None,
        )


def _length(q: Question) -> DeliveryOptions:
    """Delivery options with the length this question asks for."""
    lo, hi = length_band(q.behavioural, len(q.model_answer.split()))
    return DeliveryOptions(min_seconds=lo, max_seconds=hi)


def grade_capped(
    items: Sequence[tuple[str, Question]],
    embedder: Embedder,
    options: GradeOptions | None,
    cache: TokenCache | None = None,
) -> list[Grade]:
    """``grade_many`` on the first MAX_ANSWER_CHARS of each answer (STAR reads as much): a
    120 KB answer took 84 s. The transcript is kept whole; a cut answer's grade says so."""
    from dataclasses import replace

    grades = grade_many([(t[:MAX_ANSWER_CHARS], q) for t, q in items], embedder, options, cache)
    return [
        replace(g, notes=(*g.notes, _cut_note(len(t)))) if len(t) > MAX_ANSWER_CHARS else g
        for g, (t, _) in zip(grades, items, strict=True)
    ]


def _cut_note(chars: int) -> str:
    return (
        f"only the first {MAX_ANSWER_CHARS:,} of its {chars:,} characters were graded: "
        "answer in fewer words"
    )


def keep_recording(samples: np.ndarray, recordings: Path, question_id: str, stem: str) -> Path:
    """Keep an answer's audio (16 kHz mono, as :func:`~mockint.sound.audio.load_audio`
    gives it) in ``recordings/`` as FLAC under a dated, unique, safe name: a 48 kHz stereo WAV
    becomes a fraction of its size, so an export of it stays importable.

    Encoded in memory, then written to a new file: a full disk raises OSError (ENOSPC; in
    libsndfile's hands it was a 'System error.' traceback) and leaves nothing behind."""
    import io
    import os

    import soundfile as sf

    flac = io.BytesIO()
    sf.write(flac, np.asarray(samples, dtype=np.float32), 16_000, "PCM_16", format="FLAC")
    stamp = datetime.now()
    d = recordings / stamp.strftime("%Y-%m-%d")
    made = not d.exists()
    d.mkdir(parents=True, exist_ok=True)
    # the user's file name made one an import takes back (a 'réponse (final).wav' was
    # exported, then refused by every import): at most 7 + 32 + 1 + 64 + 10 characters
    base = f"{stamp.strftime('%H%M%S')}-{safe_stem(question_id, 32)}-{safe_stem(stem)}"
    for n in range(1, 10_000):
        out = d / (f"{base}.flac" if n == 1 else f"{base}-{n}.flac")
        try:
            f = open(out, "xb")  # noqa: SIM115 (closed below, removed if writing fails)
            break
        except FileExistsError:
            continue
    else:
        raise OSError(errno.EEXIST, "every name of this second is taken", str(d))
    try:
        with f:
            f.write(flac.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        return out
    except BaseException:
        out.unlink(missing_ok=True)
        if made:
            with contextlib.suppress(OSError):
                d.rmdir()  # the day's folder, if this made it and it is empty
        raise


def to_attempt(
    a: Assessment, session_id: int | None = None, status: str = "complete", mode: str = "practice"
) -> Attempt:
    """The stored form of an assessment (a fresh identity)."""
    return Attempt(
        bank=a.bank,
        question_id=a.question.id,
        category=a.question.category,
        transcript=a.transcript.text,
        score=a.grade.score,
        coverage=a.grade.coverage,
        key_points=[k.to_dict() for k in a.grade.key_points],
        words=words_to_dicts(a.transcript.words),
        models=a.models,
        audio_path=a.audio_path,
        duration=a.transcript.duration or None,
        session_id=session_id,
        started_at=a.started_at,
        status=status,
        delivery=a.delivery.to_dict() if a.delivery else None,
        notes=a.notes,
        uid=new_uid(),
        mode=mode,
    )


def save(
    store: Store,
    a: Assessment,
    session_id: int | None = None,
    status: str = "complete",
    pending: Path | None = None,
    mode: str = "practice",
    recording: Path | None = None,
) -> int:
    """Store an assessment as one attempt (its own transaction); return the attempt id.

    If the store cannot take it and ``pending`` is given, the attempt is kept there
    as JSON and the StoreError says where. ``recording``, kept for this answer alone, is
    removed if the save is interrupted (Ctrl-C) before the answer is stored.
    """
    attempt = to_attempt(a, session_id, status, mode)
    try:
        return store.add_attempt(attempt)
    except StoreError as e:
        if pending is None:
            raise
        raise StoreError(kept_aside(e, attempt, pending)) from None
    except BaseException:
        _unkeep(store.path, attempt.uid, recording)
        raise


def from_attempt(a: Attempt, question: Question) -> Assessment:
    """A stored attempt as an Assessment (to regrade it)."""
    from mockint.grading.delivery import Delivery
    from mockint.grading.grade import KeyPoint

    points = tuple(
        KeyPoint(
            str(k.get("text", "")),
            float(k.get("similarity", 0)),
            bool(k.get("covered")),
            str(k.get("match", "")),
            str(k.get("status", "missed")),
            float(k.get("recall", 0)),
            float(k.get("strength", 0)),
        )
        for k in a.key_points
    )
    g = Grade(a.score, a.coverage, points, (), tuple(a.notes))
    t = Transcript(a.transcript, (), words_from_dicts(a.words), a.duration or 0.0)
    d = a.delivery
    delivery = None
    if d:
        delivery = Delivery(
            int(d.get("words", 0)),
            float(d.get("seconds", 0)),
            float(d.get("wpm", 0)),
            int(d.get("fillers", 0)),
            float(d.get("fillers_per_minute", 0)),
            dict(d.get("filler_words", {})),
            [(p["at"], p["seconds"]) for p in d.get("long_pauses", [])],
            list(d.get("flags", [])),
            tuple(d.get("target_seconds") or (60.0, 120.0)),
        )
    return Assessment(a.bank, question, t, g, a.models, a.audio_path, a.started_at, delivery)


def correct(
    store: Store, attempt_id: int, a: Assessment, text: str, assessor: Assessor
) -> Assessment:
    """Regrade a stored answer on the user's corrected transcript; the store keeps what was
    heard beside it. Delivery stays as measured from the recording. A text an import would
    refuse (a control character, over 200,000 characters) raises MockintError, unstored."""
    from dataclasses import replace

    from mockint.limits import typed_unfit

    why = typed_unfit(text)
    if why:  # what the store keeps, an export carries
        raise MockintError(f"the edited transcript: {why} (a{attempt_id} unchanged)")
    t = replace(a.transcript, text=text.strip())
    g = grade_capped([(t.text, a.question)], assessor.embedder, assessor.options, assessor.cache)[0]
    fixed = replace(a, transcript=t, grade=g)
    store.regrade(attempt_id, to_attempt(fixed), heard=a.transcript.heard_text)
    return fixed


def undo_corrections(
    store: Store,
    attempt_id: int,
    a: Assessment,
    assessor: Assessor,
    which: Sequence[int] | None = None,
) -> Assessment:
    """Put corrected words back as heard (``which``: their numbers, 1 for the first
    correction, or all), regrade and store as :func:`correct` does; the words put back are
    stored as heard. Unchanged (not stored) when there is nothing to put back."""
    from dataclasses import replace

    changed = a.corrections
    picked = [changed[n - 1][0] for n in which or range(1, len(changed) + 1)]
    t = restored(a.transcript, picked)
    if t == a.transcript:
        return a
    g = grade_capped([(t.text, a.question)], assessor.embedder, assessor.options, assessor.cache)[0]
    fixed = replace(a, transcript=t, grade=g)
    store.regrade(attempt_id, to_attempt(fixed), heard=None)
    return fixed


def save_to(db: Path, pending: Path, a: Assessment, recording: Path | None = None) -> int:
    """Open the store, bring in answers kept earlier, store this one; keep it aside if the
    store cannot take it (the StoreError says where). ``recording``, kept for this answer
    alone, is removed if the save is interrupted (Ctrl-C) before the answer is stored."""
    attempt = to_attempt(a)
    try:
        with Store(db) as store:
            import_pending(store, pending)
            return store.add_attempt(attempt)
    except StoreError as e:
        raise StoreError(kept_aside(e, attempt, pending)) from None
    except BaseException:
        _unkeep(db, attempt.uid, recording)
        raise


def _unkeep(db: Path, uid: str, recording: Path | None) -> None:
    """Remove the recording of an answer whose save was interrupted, unless the answer was
    stored all the same (the Ctrl-C came after its commit) or that cannot be told: a
    recording without its answer is an orphan, an answer without its recording is lost."""
    if recording is None:
        return
    try:
        with Store(db, readonly=True) as s:
            if s.has_uid(uid):
                return
    except (StoreError, OSError):
        if db.exists():
            return
    recording.unlink(missing_ok=True)


def kept_aside(e: StoreError, attempt: Attempt, pending: Path) -> str:
    """The store's error, with where the graded answer is kept instead."""
    try:
        path = keep_pending(attempt, pending)
    except OSError as err:
        full = err.errno in (errno.ENOSPC, errno.EDQUOT) and "free some space" not in str(e)
        fix = ": free some space, then grade it again" if full else ""
        return f"{e}; the graded answer could not be kept either ({err.strerror}){fix}"
    return f"{e}; the graded answer is kept in {path}: 'mockint import-pending' brings it in"
