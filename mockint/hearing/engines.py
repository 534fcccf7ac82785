"""Choosing a Whisper engine by name: CTranslate2 (the default) or openai-whisper."""

from __future__ import annotations

from collections.abc import Callable

from mockint.hearing.ct2_engine import CT2Transcriber
from mockint.hearing.transcribe import Transcriber, WhisperOptions, WhisperTranscriber

ENGINES = ("ct2", "openai")


def make_transcriber(
    options: WhisperOptions | None = None, on_status: Callable[[str], None] | None = None
) -> Transcriber:
    """The transcriber of the chosen engine."""
    o = options or WhisperOptions()
    if o.engine == "openai":
        return WhisperTranscriber(o, on_status)
    if o.engine == "ct2":
        return CT2Transcriber(o, on_status)
    raise ValueError(f"unknown engine '{o.engine}': choose one of {', '.join(ENGINES)}")
