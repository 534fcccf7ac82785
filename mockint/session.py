"""Wiring: devices and models meet the pure cores here, and nowhere else.

:class:`Assessor` turns an answer (audio or text) into an :class:`Assessment`
(transcript + grade + which models made them); :func:`save` records it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from mockint.bank import Question
from mockint.grade import Embedder, Grade, GradeOptions, grade
from mockint.store import Attempt, Store, now
from mockint.transcribe import Transcriber, Transcript


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "question_id": self.question.id,
            "category": self.question.category,
            "question": self.question.text,
            "transcript": self.transcript.text,
            "score": self.grade.score,
            "coverage": round(self.grade.coverage, 4),
            "key_points": [k.to_dict() for k in self.grade.key_points],
            "duration": round(self.transcript.duration, 3),
            "words": self.transcript.to_dict()["words"],
            "audio": self.audio_path,
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

    def _assess(
        self, bank: str, q: Question, t: Transcript, audio_path: str | None, started: str = ""
    ) -> Assessment:
        g = grade(t.text, q, self.embedder, self.options)
        models = {"embedder": _model_info(self.embedder)}
        if audio_path is not None and self.transcriber is not None:
            models["transcriber"] = _model_info(self.transcriber)
        return Assessment(bank, q, t, g, models, audio_path, started or now())


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
        )
    )


Status = Callable[[str], None]
