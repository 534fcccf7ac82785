"""``mockint transcribe`` and ``mockint grade``: one answer, or a batch of them."""

from __future__ import annotations

import errno
import io
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from mockint import config
from mockint.cli.common import (
    bank_option,
    check_model,
    emit_json,
    engine_option,
    load_bank,
    model_option,
    question,
    status,
    threads_option,
)
from mockint.limits import capped_lines, open_regular, typed_unfit
from mockint.terminal import json_safe, one_line, printable

# the longest line of a --batch file: an answer's text is graded on its first 20,000
MAX_BATCH_LINE = 1_000_000


def _transcriber(model: str, threads: int, engine: str) -> Any:
    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal import offline

    check_model(model)
    return offline.transcriber(WhisperOptions(model=model, threads=threads, engine=engine), status)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@model_option
@threads_option
@engine_option
@click.option(
    "--json", "as_json", is_flag=True, help="Text, segments and word times as JSON (a line a file)."
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Processes transcribing the files (one already uses two cores: two files at once).",
)
def transcribe(
    files: tuple[Path, ...], model: str, threads: int, engine: str, as_json: bool, jobs: int
) -> None:
    """Transcribe recorded answers (WAV, FLAC or OGG), phrase by phrase as practice hears them.

    Example: mockint transcribe answer.flac --json

    Example: mockint transcribe *.flac --jobs 2
    """
    from contextlib import closing

    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal import offline

    check_model(model)
    options = WhisperOptions(model=model, threads=threads, engine=engine)
    name = offline.transcriber(options).name  # made, not loaded
    results = offline.transcribe_files([str(f) for f in files], options, jobs, status)
    failed = 0
    with closing(results):
        for file, result in zip(files, results, strict=True):
            if isinstance(result, str) and len(files) == 1:
                raise click.ClickException(result)
            failed += isinstance(result, str)
            _print_heard(file, name, result, as_json, several=len(files) > 1)
    if failed:
        raise click.ClickException(f"{failed} of the {len(files)} files failed (see their errors)")


def _print_heard(file: Path, model: str, result: Any, as_json: bool, several: bool) -> None:
    """One file's transcript (or error): JSON (a line a file when there are several), or
    its text (after the file's name when there are several)."""
    if isinstance(result, str):
        got: dict[str, Any] = {"file": str(file), "error": result}
    else:
        got = {"file": str(file), "model": model, **result.to_dict()}
    if as_json and several:
        click.echo(json_safe(json.dumps(got, ensure_ascii=False)))
    elif as_json:
        emit_json(got)
    elif isinstance(result, str):
        click.echo(one_line(f"{file}: error: {result}"))
    else:
        text = printable(result.text)  # a transcript, which may run over lines
        click.echo(f"{one_line(str(file))}: {text}" if several else text)


@click.command()
@click.option("--question", "-q", "qid", metavar="ID", help="Question id, e.g. Q12.")
@click.option("--audio", type=click.Path(dir_okay=False, path_type=Path), help="Recorded answer.")
@click.option("--text", help="The answer as text.")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    help="JSON Lines of answers to grade, '-' for standard input (see docs/usage.md); one "
    "result per line.",
)
@bank_option
@model_option
@threads_option
@engine_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--save", is_flag=True, help="Record the attempt in the history.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="--batch: processes transcribing its audio answers (one already uses two cores).",
)
def grade(
    qid: str | None,
    audio: Path | None,
    text: str | None,
    batch: Path | None,
    bank_name: str | None,
    model: str,
    threads: int,
    engine: str,
    as_json: bool,
    save: bool,
    jobs: int,
) -> None:
    """Grade an answer to a bank question against its model answer.

    Example: mockint grade --question Q8 --text "I enjoy solving logical problems..."

    Example: mockint grade --batch answers.jsonl --json
    """
    from mockint.grading.assess import save_to
    from mockint.rehearsal import offline
    from mockint.reports.lines import assessment_lines, plain

    if batch is not None:
        if qid or audio or text:
            raise click.UsageError("--batch takes its questions and answers from the file")
        _grade_batch(batch, bank_name, model, threads, engine, as_json, save, jobs)
        return
    if qid is None:
        raise click.UsageError("give --question ID (or --batch FILE)")
    if (audio is None) == (text is None):
        raise click.UsageError("give exactly one of --audio FILE or --text TEXT")
    b = load_bank(bank_name)
    q = question(b, qid)
    samples = None
    if audio is not None:
        samples, result = _assess_audio(b, q, audio, _transcriber(model, threads, engine))
    else:
        why = typed_unfit(text or "")
        if why:
            raise click.UsageError(f"--text: {why}")
        result = offline.assessor(status).assess_text(b.name, q, text or "")
    attempt_id = None
    try:
        if save:
            kept = None  # the recording is kept once heard, so a Ctrl-C before leaves none
            if audio is not None:
                kept = Path(_keep(samples, q.id, audio))
                result = replace(result, audio_path=str(kept))
            attempt_id = save_to(config.paths().db, config.paths().pending, result, kept)
    finally:  # the result is shown even when the store cannot take it
        if as_json:
            emit_json({**result.to_dict(), "attempt_id": attempt_id})
        else:
            click.echo(plain(assessment_lines(result)), nl=False)
    if attempt_id is not None and not as_json:
        click.echo(f"\nSaved as attempt {attempt_id}.")


def _assess_audio(b: Any, q: Any, audio: Path, transcriber: Any) -> tuple[Any, Any]:
    """A recorded answer's samples, and its assessment: transcribed (leaning toward its
    question's terms) and graded."""
    from mockint.hearing.vocabulary import bank_terms, bank_words, hints_for
    from mockint.rehearsal import offline
    from mockint.sound.audio import load_audio

    samples = load_audio(audio)
    assessor = offline.assessor(status, transcriber)
    hints = hints_for(q, bank_terms(b), bank_words(b))
    return samples, assessor.assess_audio(b.name, q, samples, str(audio), hints)


def _keep(samples: Any, question_id: str, audio: Path) -> str:
    """A copy of the answer's recording kept in the data directory (16 kHz mono FLAC)."""
    from mockint.grading.assess import keep_recording

    try:
        return str(keep_recording(samples, config.paths().recordings, question_id, audio.stem))
    except OSError as e:
        raise click.ClickException(
            f"{config.paths().recordings}: cannot keep the recording ({e.strerror}): "
            "free some space, or grade without --save"
        ) from None


def _saved(store: Any, r: Any) -> dict[str, Any]:
    """A batch line's result, stored with a copy of its recording (the path as typed in the
    batch, relative to the batch, was stored: read back inside the data directory, the
    recording was lost to review, export and the report)."""
    from mockint.grading.assess import save as save_attempt
    from mockint.sound.audio import load_audio

    a, kept = r.assessment, None
    if a.audio_path is not None:
        audio = Path(a.audio_path)
        kept = Path(_keep(load_audio(audio), a.question.id, audio))
        a = replace(a, audio_path=str(kept))
    attempt_id = save_attempt(store, a, pending=config.paths().pending, recording=kept)
    return {**replace(r, assessment=a).to_dict(), "attempt_id": attempt_id}


def _grade_batch(
    path: Path,
    bank_name: str | None,
    model: str,
    threads: int,
    engine: str,
    as_json: bool,
    save: bool,
    jobs: int,
) -> None:
    """Grade every line, printing (and saving) each result as it comes; exit 1 if any failed."""
    from contextlib import closing

    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal.offline import grade_lines
    from mockint.storage.store import Store

    b = load_bank(bank_name)
    options = WhisperOptions(model=model, threads=threads, engine=engine)
    if jobs > 1:
        check_model(model)  # before the processes start
    stdin = str(path) == "-"
    name = "standard input" if stdin else str(path)
    try:  # a FIFO or device is refused, not waited on: '-' reads a pipe
        if stdin and sys.stdin is None:  # closed (<&-)
            raise OSError(errno.EBADF, "it is closed")
        raw = sys.stdin.buffer if stdin else open_regular(path)
    except OSError as e:
        fix = "give a file, or '-' to read standard input"
        raise click.ClickException(f"{name}: cannot read ({e.strerror}): {fix}") from None
    # each line decoded on its own: a byte that is not UTF-8 is held as a lone surrogate
    # (that line's error, the rest still run: it ended the whole batch); a BOM is skipped,
    # as a bank's is (it failed line 1)
    source = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape")
    lines = capped_lines(source, MAX_BATCH_LINE)
    failed = 0
    store = Store(config.paths().db) if save else None
    results = grade_lines(
        lines, b, options, jobs, status, lambda: check_model(model), _folder(path, stdin)
    )
    try:
        with closing(results):
            for r in results:
                if store is not None and r.assessment is not None and not r.adhoc:
                    result = _saved(store, r)
                else:
                    result = r.to_dict()
                failed += r.error is not None
                _print_line(result, as_json)
                if store is not None and r.assessment is not None and r.adhoc:
                    status(f"Warning: line {r.line}: {UNSTORED}")
    finally:
        if stdin:
            source.detach()  # standard input stays open
        else:
            source.close()
        if store is not None:
            store.close()
    if failed:
        raise click.ClickException(f"{name}: {failed} of the lines failed (see their errors)")


# why --save passes over a line graded against its own reference (the history lists answers
# by bank and question: a line's question is no question a later session can ask again)
UNSTORED = (
    "graded, not stored: its question is in no bank "
    "(give 'question': a bank question's id to store it)"
)


def _folder(path: Path, stdin: bool) -> Path | None:
    """Where a batch's relative audio paths are read from, in full (named in an error): the
    batch file's folder (they were read from the current directory), or the current
    directory for standard input; None when that directory was removed."""
    import os

    try:
        return Path(os.path.abspath("." if stdin else path.parent))
    except OSError:  # getcwd: the current directory no longer exists
        return None


def _print_line(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json_safe(json.dumps(result, ensure_ascii=False)))
    elif "error" in result:
        click.echo(one_line(f"line {result['line']:>4}  error: {result['error']}"))
    else:
        click.echo(
            f"line {result['line']:>4}  {result['question_id']:>8}  "
            f"{result['score']:>5.1f}  {result['question'][:60]}"
        )


@click.command(name="import-pending")
def import_pending_cmd() -> None:
    """Store the graded answers kept aside while the store could not take them.

    Example: mockint import-pending
    """
    from mockint.reports.lines import plural
    from mockint.storage.intake import import_pending
    from mockint.storage.store import Store

    paths = config.paths()
    with Store(paths.db) as store:
        added, refused = import_pending(store, paths.pending)
    click.echo(one_line(f"Stored {plural(added, 'kept answer')} ({paths.pending})."))
    if refused:  # each named (only the first was): up to 3, then how many more
        n, shown = len(refused), "; ".join(refused[:3])
        more = f"; and {n - 3} more" if n > 3 else ""
        were = "was" if n == 1 else "were"
        fix = "each stays in place: fix or remove it, then run this again"
        raise click.ClickException(
            f"{plural(n, 'kept file')} {were} not taken in ({fix}): {shown}{more}"
        )


COMMANDS = [transcribe, grade, import_pending_cmd]
