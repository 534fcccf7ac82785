"""The real models wired for grading without a microphone: ``mockint transcribe``,
``mockint grade`` (one answer or a batch) and regrading an edited transcript.

The CLI parses and formats; the Whisper engine, the embedder and the processes that
transcribe a batch are built here, each model loaded on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

from mockint.bank import Bank
from mockint.grading.assess import Assessor
from mockint.hearing.transcribe import Transcriber, WhisperOptions
from mockint.rehearsal.batch import BatchResult, grade_batch
from mockint.transcript import Transcript

Status = Callable[[str], None]


def transcriber(options: WhisperOptions, on_status: Status | None = None) -> Transcriber:
    """The Whisper engine ``options`` name (loaded on its first transcription)."""
    from mockint.hearing.engines import make_transcriber

    return make_transcriber(options, on_status=on_status)


def side_by_side(options: WhisperOptions, cores: int | None = None) -> WhisperOptions:
    """``options`` for many recordings heard in this process: two lanes (two recordings'
    phrases decoded at once, on two replicas) where there is a core for each."""
    import os
    from dataclasses import replace

    cores = cores if cores is not None else os.cpu_count() or 1
    return replace(options, lanes=2 if cores >= 2 * max(1, options.threads) else 1)


def assessor(on_status: Status | None = None, transcriber: Transcriber | None = None) -> Assessor:
    """An assessor grading with the MiniLM embedder (and ``transcriber``, for audio)."""
    from mockint.grading.embed import MiniLMEmbedder

    return Assessor(MiniLMEmbedder(on_status=on_status), transcriber)


def grade_lines(
    lines: Iterable[str],
    bank: Bank,
    options: WhisperOptions,
    jobs: int = 1,
    on_status: Status | None = None,
    before_transcribing: Callable[[], None] = lambda: None,
    folder: Path | None = None,
) -> Generator[BatchResult, None, None]:
    """:func:`mockint.rehearsal.batch.grade_batch` with the real models: the audio answers
    are transcribed by one engine made when a line first needs it, or, with ``jobs`` > 1,
    by that many processes (the pool starts at once). ``before_transcribing`` runs before
    either is made (a check that the model is there); a relative audio path is read from
    ``folder``. Close the iterator when done: that stops the processes."""
    from mockint.grading.embed import MiniLMEmbedder
    from mockint.rehearsal.worker import TranscribePool
    from mockint.sound.audio import load_audio

    made: list[Any] = []  # the engine, once made

    def once() -> Transcriber:
        if not made:
            before_transcribing()
            if jobs > 1:  # loaded for its name and hash only: the pool transcribes
                made.append(transcriber(options, on_status))
                made[0].load()
            else:
                made.append(transcriber(side_by_side(options), on_status))
        return made[0]

    pool = None
    if jobs > 1:
        before_transcribing()
        pool = TranscribePool(options, jobs)
    try:
        yield from grade_batch(
            lines,
            bank,
            MiniLMEmbedder(on_status=on_status),
            once,
            load_audio,
            transcribe_many=pool,
            folder=folder,
        )
    finally:
        if pool is not None:
            pool.close()


def transcribe_files(
    paths: Iterable[str],
    options: WhisperOptions,
    jobs: int = 1,
    on_status: Status | None = None,
    chunk: int = 64,
) -> Generator[Transcript | str, None, None]:
    """Each recorded file's transcript, phrase by phrase as practice hears it (the path
    ``grade --batch`` takes), or the message of the error that stopped it; in order, a
    chunk of files at a time. With ``jobs`` > 1 that many processes transcribe (the pool
    starts at once); close the iterator when done: that stops them."""
    from itertools import islice

    from mockint.rehearsal.worker import TranscribePool, hear_files

    pool = TranscribePool(options, jobs) if jobs > 1 else None
    one: list[Transcriber] = []  # the engine, made when a file first needs it
    try:
        files = iter(paths)
        while group := list(islice(files, chunk)):
            if pool is not None:
                yield from pool([(p, None) for p in group])
                continue
            if not one:
                one.append(transcriber(side_by_side(options), on_status))
            yield from hear_files([(p, None) for p in group], one[0])
    finally:
        if pool is not None:
            pool.close()
