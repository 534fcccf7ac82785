"""Choosing a Whisper engine by name: CTranslate2 (the default) or openai-whisper, with the
correction after it (:mod:`mockint.hearing.respell`) unless asked for none."""

from __future__ import annotations

from collections.abc import Callable

from mockint.hearing.ct2_engine import CT2Transcriber
from mockint.hearing.respell import CorrectionOptions, Corrector
from mockint.hearing.transcribe import Engine, Transcriber, WhisperOptions, WhisperTranscriber

ENGINES = ("ct2", "openai")

# the correction practice and grading use
DEFAULT_CORRECTION = CorrectionOptions()


def make_engine(
    options: WhisperOptions | None = None, on_status: Callable[[str], None] | None = None
) -> Engine:
    """The chosen engine alone: words as heard, uncorrected."""
    o = options or WhisperOptions()
    if o.engine == "openai":
        return WhisperTranscriber(o, on_status)
    if o.engine == "ct2":
        return CT2Transcriber(o, on_status)
    raise ValueError(f"unknown engine '{o.engine}': choose one of {', '.join(ENGINES)}")


def make_transcriber(
    options: WhisperOptions | None = None,
    on_status: Callable[[str], None] | None = None,
    correction: CorrectionOptions | None = DEFAULT_CORRECTION,
) -> Transcriber:
    """The transcriber of the chosen engine, corrected by ``correction`` (None: as heard)."""
    engine = make_engine(options, on_status)
    return engine if correction is None else Corrector(engine, correction)
