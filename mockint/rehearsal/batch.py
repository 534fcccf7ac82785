"""Batch grading: answers in JSON Lines (text, or audio files heard phrase by phrase as
practice hears them), graded in chunks and yielded in order as each chunk is done."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mockint.bank import MAX_ANSWER_CHARS, MAX_TEXT_CHARS, Bank, Question
from mockint.errors import MockintError
from mockint.grading.assess import Assessment, Assessor, grade_capped
from mockint.grading.grade import Embedder, GradeOptions, TokenCache
from mockint.hearing.transcribe import Transcriber
from mockint.hearing.vocabulary import Hints, bank_terms, bank_words, hints_for
from mockint.limits import LineTooLong, typed_unfit
from mockint.transcript import Transcript

ADHOC_CATEGORY = "(ad hoc)"


@dataclass(frozen=True)
class BatchResult:
    """One line of a batch: its number, and an assessment or the error that stopped it."""

    line: int
    assessment: Assessment | None = None
    error: str | None = None
    # graded against a reference given on the line, not a bank question (never stored)
    adhoc: bool = False

    def to_dict(self) -> dict[str, Any]:
        if self.assessment is None:
            return {"line": self.line, "error": self.error}
        return {"line": self.line, **self.assessment.to_dict()}


@dataclass(frozen=True)
class _Item:
    line: int
    question: Question
    transcript: Transcript | None  # None: an audio answer not transcribed yet
    audio: str | None
    adhoc: bool
    hints: Hints | None = None  # the question's vocabulary, for its transcription


def _parse_line(n: int, raw: str, bank: Bank, folder: Path | None = None) -> _Item:
    """One JSON line as an item to grade (a relative audio path read from ``folder``, when
    given); ValueError or a MockintError says what is wrong."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # bytes read as lone surrogates: they were never UTF-8
        raise ValueError("not UTF-8 text: save the file as UTF-8") from None
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"JSONDecodeError: {e.msg}") from None
    except RecursionError:  # thousands of [ deep: deeper than Python's stack
        raise ValueError("JSON nested too deep: give one flat object a line") from None
    if not isinstance(item, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("text", "audio", "question_text", "reference"):
        if key in item and not isinstance(item[key], str):  # null was graded as "None"
            raise ValueError(f"'{key}' must be a string (in quotes)")
    if "question" in item and (isinstance(item["question"], bool) or item["question"] is None):
        raise ValueError("'question' must be a question id, such as \"Q12\"")
    adhoc = "question" not in item
    if not adhoc:
        try:
            q = bank.get(str(item["question"]))
        except KeyError:
            raise ValueError(f"no question '{item['question']}' in bank '{bank.name}'") from None
    elif "question_text" in item and "reference" in item:
        if not re.search(r"\w", str(item["reference"])):
            raise ValueError("'reference' is empty: give the model answer to grade against")
        if len(str(item["reference"])) > MAX_ANSWER_CHARS:
            raise ValueError(f"'reference' is longer than {MAX_ANSWER_CHARS:,} characters")
        if len(str(item["question_text"])) > MAX_TEXT_CHARS:
            raise ValueError(f"'question_text' is longer than {MAX_TEXT_CHARS:,} characters")
        q = Question(
            f"line-{n}", ADHOC_CATEGORY, str(item["question_text"]), str(item["reference"])
        )
    else:
        raise ValueError("give 'question' (a bank id), or 'question_text' and 'reference'")
    if "text" in item and "audio" in item:  # the text was graded, the audio ignored
        raise ValueError("give 'text' or 'audio', not both")
    if "text" in item:
        why = typed_unfit(str(item["text"]))
        if why:
            raise ValueError(why)
        return _Item(n, q, Transcript(str(item["text"]).strip()), None, adhoc)
    if "audio" in item:
        hints = None if adhoc else hints_for(q, _terms(bank), _words(bank))
        audio = str(folder / item["audio"]) if folder is not None else str(item["audio"])
        return _Item(n, q, None, audio, adhoc, hints)
    raise ValueError("give the answer as 'text' or 'audio'")


@functools.lru_cache(maxsize=4)
def _terms(bank: Bank) -> frozenset[str]:
    return frozenset(bank_terms(bank))


@functools.lru_cache(maxsize=4)
def _words(bank: Bank) -> frozenset[str]:
    return bank_words(bank)


def grade_batch(
    lines: Iterable[str],
    bank: Bank,
    embedder: Embedder,
    transcriber: Callable[[], Transcriber],
    load_audio: Callable[[str], np.ndarray],
    options: GradeOptions | None = None,
    chunk: int = 64,
    transcribe_many: TranscribeMany | None = None,
    cache: TokenCache | None = None,
    folder: Path | None = None,
) -> Iterator[BatchResult]:
    """Grade JSON Lines: ``{"question": ID, "text"|"audio": ...}`` or, for a question
    outside the bank, ``{"question_text": ..., "reference": ..., "text": ...}``.

    Yields one result per non-blank line, in order, as each chunk of lines is
    graded (text answers of a chunk are embedded together), so memory stays flat
    and results come while the rest is read. A bad line gets an error and the
    rest still run. The transcriber is made only if a line needs it; the audio answers
    of a chunk go to ``transcribe_many`` (several processes) when it is given, else are
    heard here, two files at a time (:func:`mockint.rehearsal.worker.hear_files`). The model
    answers' vectors are kept in ``cache`` (or one of this batch's own). A relative audio
    path is read from ``folder`` (the batch file's) when it is given.
    """
    cache = cache if cache is not None else TokenCache(embedder)

    def in_process(todo: list[tuple[str, Hints | None]]) -> list[Transcript | str]:
        from mockint.rehearsal.worker import hear_files

        return list(hear_files(todo, transcriber(), load_audio))

    pending: list[_Item | BatchResult] = []
    try:
        for n, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                pending.append(_parse_line(n, raw, bank, folder))
            except (ValueError, MockintError) as e:  # one bad line must not stop the rest
                pending.append(BatchResult(n, error=str(e)))
            if len(pending) >= chunk:
                pending = _transcribe(pending, transcribe_many or in_process)
                yield from _grade_chunk(pending, bank, embedder, transcriber, options, cache)
                pending = []
    except LineTooLong as e:  # no end to read past: the lines before it are graded
        pending.append(BatchResult(e.line, error=f"{e}: give one answer a line; reading stopped"))
    pending = _transcribe(pending, transcribe_many or in_process)
    yield from _grade_chunk(pending, bank, embedder, transcriber, options, cache)


# audio files (path, the question's hints) -> each one's transcript, or the error that
# stopped it
TranscribeMany = Callable[[list[tuple[str, Hints | None]]], list[Transcript | str]]


def _transcribe(
    pending: list[_Item | BatchResult], many: TranscribeMany
) -> list[_Item | BatchResult]:
    """The chunk with its audio answers transcribed (in order; failures become errors)."""
    from dataclasses import replace

    todo = [p for p in pending if isinstance(p, _Item) and p.transcript is None]
    if not todo:
        return pending
    heard = dict(
        zip((p.line for p in todo), many([(str(p.audio), p.hints) for p in todo]), strict=True)
    )
    out: list[_Item | BatchResult] = []
    for p in pending:
        got = heard.get(p.line) if isinstance(p, _Item) else None
        if isinstance(got, str):
            out.append(BatchResult(p.line, error=got))
        elif got is not None and isinstance(p, _Item):
            out.append(replace(p, transcript=got))
        else:
            out.append(p)
    return out


def _grade_chunk(
    pending: list[_Item | BatchResult],
    bank: Bank,
    embedder: Embedder,
    transcriber: Callable[[], Transcriber],
    options: GradeOptions | None,
    cache: TokenCache,
) -> Iterator[BatchResult]:
    todo = [p for p in pending if isinstance(p, _Item) and p.transcript is not None]
    said = [(p.transcript.text, p.question) for p in todo if p.transcript]
    grades = iter(grade_capped(said, embedder, options, cache))
    for p in pending:
        if isinstance(p, BatchResult) or p.transcript is None:
            yield p if isinstance(p, BatchResult) else BatchResult(p.line, error="not heard")
            continue
        assessor = Assessor(embedder, transcriber() if p.audio is not None else None, cache=cache)
        a = assessor.build(
            "" if p.adhoc else bank.name, p.question, p.transcript, next(grades), p.audio
        )
        yield BatchResult(p.line, a, adhoc=p.adhoc)
