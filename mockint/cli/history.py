"""After practice: ``report``, ``review``, ``history``, ``export`` and ``import``."""

from __future__ import annotations

import contextlib
import errno
import itertools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from mockint import config
from mockint.cli.common import (
    EMPTY,
    MAX_ID,
    Echoed,
    OutputPath,
    Seconds,
    bank_option,
    bank_or_none,
    device,
    edit_text,
    mode_option,
    open_page,
    open_store,
    output_device_option,
    pick_bank,
    status,
    store_id,
)
from mockint.terminal import one_line, printable


@click.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only answers since DATE.")
@click.option("--session", "session_id", type=click.IntRange(0, MAX_ID), help="Only this session.")
@bank_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "md", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output format (md: Markdown).",
)
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    help="Write here ('-': stdout; HTML goes to the data directory).",
)
@click.option("--embed-audio", is_flag=True, help="HTML: put the recordings inside the page.")
@click.option("--open", "open_", is_flag=True, help="Open the written report (HTML) in a browser.")
@mode_option
def report(
    since: Any,
    session_id: int | None,
    bank_name: str | None,
    fmt: str,
    output: Path | None,
    embed_audio: bool,
    open_: bool,
    mode: str | None,
) -> None:
    """Scores by category, progress per question, what to study next.

    HTML is one self-contained page, written into the data directory unless -o
    says otherwise, with charts, every answer beside its model answer and a
    player for its recording; JSON and CSV are for other tools (schemas in
    docs/usage.md), Markdown for notes.

    Example: mockint report --format html --open
    """
    from mockint.reports.gather import LISTING, gather
    from mockint.reports.render import WRITERS
    from mockint.storage.queries import Selection

    store = open_store()
    if store is None:
        click.echo(EMPTY)
        return
    if output is None and (fmt == "html" or open_):
        output = config.paths().home / f"report.{ {'text': 'txt'}.get(fmt, fmt) }"
    if output is not None and not config.is_stdout(output):
        config.report_place(output)  # a directory, device or FIFO: one line, before any work
    # open while the report is written (the listing formats read as they write), and one
    # snapshot: counts and listed answers agree while a practice stores more
    with store, store.snapshot():
        name = pick_bank(store, bank_name)
        since_s = since.strftime("%Y-%m-%d") if since else None
        sel = Selection(session_id, name, since_s, mode)
        rep = gather(store, sel, bank_or_none(name or ""), items=fmt in LISTING)
        if rep is None:
            what = ", ".join(
                x for x in (f"bank '{name}'" if name else "", f"{mode} mode" if mode else "") if x
            )
            click.echo(f"No graded answers match ({what})." if what else EMPTY)
        elif output is None or config.is_stdout(output):
            out = Echoed()
            WRITERS[fmt](rep, out)  # type: ignore[arg-type]
            out.flush()
        else:
            _write_report(rep, fmt, output, embed_audio, open_)


def _write_report(rep: Any, fmt: str, output: Path, embed_audio: bool, open_: bool) -> None:
    """Write the report into ``output`` as it is made (HTML with its recordings linked or
    embedded); say where it went, and open it in the browser with ``--open``."""
    import io

    from mockint.reports.html import write_html
    from mockint.reports.lines import plural
    from mockint.reports.render import WRITERS

    audio = _Recordings(output.resolve().parent, embed_audio)
    try:
        with config.atomic_writer(output) as f:
            out = io.TextIOWrapper(f, encoding="utf-8", newline="")
            if fmt == "html":
                write_html(rep, out, audio)
            else:
                WRITERS[fmt](rep, out)
            out.flush()
            out.detach()
    except OSError as e:
        if e.errno == errno.EPIPE:  # the reader of a pipe stopped (| head): no error to say
            raise
        raise click.ClickException(
            f"{config.output_name(output)}: cannot write ({e.strerror}): free some space "
            "or choose another place with -o"
        ) from None
    n = audio.embedded
    size = f" ({output.stat().st_size / 1e6:.1f} MB, {plural(n, 'recording')} inside)" if n else ""
    click.echo(one_line(f"Wrote {output}{size}"), err=True)
    if audio.left_out:
        click.echo(
            one_line(
                f"Warning: {plural(len(audio.left_out), 'recording')} left out (deleted or "
                f"moved), first {audio.left_out[0]}: those answers show no player"
            ),
            err=True,
        )
    if open_:
        open_page(output)


class _Recordings:
    """An answer's recording's URL in the page: relative to the page, or a data: URI if
    embedded (only recordings inside the data directory); the recordings named but gone."""

    def __init__(self, where: Path, embed: bool):
        self.where, self.embed, self.embedded = where, embed, 0
        self.home = config.paths().home
        self.left_out: list[str] = []

    def __call__(self, a: Any) -> str | None:
        import base64
        import os
        from urllib.parse import quote

        from mockint.storage.recordings import resolve

        p = resolve(self.home, a.audio_path)
        if p is None or not p.is_file():
            if a.audio_path:
                self.left_out.append(str(a.audio_path))
            return None
        if not self.embed:
            return quote(Path(os.path.relpath(p.resolve(), self.where)).as_posix())
        kind = {".flac": "audio/flac", ".wav": "audio/wav", ".ogg": "audio/ogg"}.get(
            p.suffix.lower(), "application/octet-stream"
        )
        self.embedded += 1
        return f"data:{kind};base64,{base64.b64encode(p.read_bytes()).decode()}"


@click.command()
@click.argument("target", required=False, metavar="[SESSION | aATTEMPT | QUESTION]")
@click.option("--play", is_flag=True, help="Play the attempt's recording.")
@click.option("--from", "start", type=Seconds(0), default=0.0, help="Play from SECONDS.")
@click.option("--compare", is_flag=True, help="QUESTION: the best and the latest side by side.")
@click.option("--edit", is_flag=True, help="ATTEMPT: correct its transcript ($EDITOR); regrade.")
@click.option(
    "--undo",
    multiple=True,
    metavar="N|all",
    help="ATTEMPT: put corrected word N (as numbered) back as heard, or all; regrade.",
)
@bank_option
@output_device_option
def review(
    target: str | None,
    play: bool,
    start: float,
    compare: bool,
    edit: bool,
    undo: tuple[str, ...],
    bank_name: str | None,
    output_device: str | None,
) -> None:
    """List sessions; a session's answers; one answer (and replay it); a question's answers.

    Example: mockint review a12 --play --from 5

    Example: mockint review Q12 --compare

    Example: mockint review a12 --edit --undo all
    """
    store = open_store()
    if store is None:
        click.echo(EMPTY)
        return
    with store:
        if target is None:
            with store.snapshot():  # the count of loose answers agrees with their list
                return _review_sessions(store)
        if re.fullmatch(r"[0-9]+", target):
            session = store_id(target)  # (None: past any id, and no session's answers)
            rows = store.listed(session) if session is not None else iter(())
            first = next(rows, None)
            if first is None:
                raise click.ClickException(f"no answers in session {target}: see 'mockint review'")
            _list_attempts(itertools.chain([first], rows))
            return
        attempt_id = store_id(target[1:]) if target[:1] in ("a", "A") else None
        a = store.attempt(attempt_id) if attempt_id is not None else None
        if a is None:
            _review_question(store, target, compare, bank_name)
            return
    if undo:
        a = _undo(a, undo)
    elif edit:
        a = _correct(a)
    _show_attempt(a)
    if play:
        _play(a, start, output_device)


def _undo(a: Any, picked: tuple[str, ...]) -> Any:
    """Put the attempt's corrected words back as heard (by number, or all); regrade; store."""
    from mockint.grading.assess import from_attempt, undo_corrections
    from mockint.rehearsal.offline import assessor
    from mockint.reports.lines import plural
    from mockint.storage.store import Store

    fresh = from_attempt(a, _question(a))
    n = len(fresh.corrections)
    if n == 0:
        raise click.ClickException(f"a{a.id} has no corrected words to undo")
    which: list[int] = []
    for p in picked:
        if p.lower() == "all":
            which = list(range(1, n + 1))
        elif p.isdigit() and 1 <= int(p) <= n:
            which.append(int(p))
        else:
            raise click.BadParameter(
                f"'{p}' is no correction of a{a.id}: give 1 to {n} or 'all'",
                param_hint="'--undo'",
            )
    with Store(config.paths().db) as store:
        undo_corrections(store, a.id, fresh, assessor(status), sorted(set(which)))
        fixed = store.attempt(a.id) or a
    back = plural(len(set(which)), "word")
    click.echo(
        f"Put {back} back as heard; regraded a{a.id}: {a.score:.0f} -> {fixed.score:.0f}.",
        err=True,
    )
    return fixed


def _question(a: Any) -> Any:
    """The attempt's question, to regrade against; a ClickException if it is gone."""
    b = bank_or_none(a.bank)
    try:
        q = b.get(a.question_id) if b is not None else None
    except KeyError:
        q = None
    if q is None:
        raise click.ClickException(
            f"question {a.question_id} of bank '{a.bank}' is gone: its answers cannot be regraded"
        )
    return q


def _correct(a: Any) -> Any:
    """Open the attempt's transcript in $EDITOR; regrade what comes back; store both."""
    from mockint.grading.assess import correct, from_attempt
    from mockint.rehearsal.offline import assessor
    from mockint.storage.store import Store

    q = _question(a)
    text = edit_text(a.transcript)
    if text is None or not text.strip() or text.strip() == a.transcript.strip():
        click.echo("Transcript unchanged.", err=True)
        return a
    with Store(config.paths().db) as store:
        correct(store, a.id, from_attempt(a, q), text, assessor(status))
        fixed = store.attempt(a.id) or a
    click.echo(f"Regraded a{a.id}: {a.score:.0f} -> {fixed.score:.0f}.", err=True)
    return fixed


def _review_sessions(store: Any) -> None:
    """The sessions, counted in SQL; the answers outside one, walked (never read whole)."""
    rows = store.sessions()
    loose = store.counted(None)
    if not rows and not loose:
        click.echo(EMPTY)
    for s in rows:
        mean = f"{s['mean']:.0f}" if s["mean"] is not None else "-"
        state = "" if s["ended_at"] else "  (unfinished: mockint practice --resume)"
        click.echo(
            printable(
                f"session {s['id']:>4}  {s['started_at'][:16].replace('T', ' ')}  "
                f"{s['bank']:<12} {s['attempts']:>3} answers  mean {mean:>3}{state}"
            )
        )
    if loose:
        click.echo(f"\nGraded outside a session ({loose}):")
        _list_attempts(store.listed(None))


def _review_question(store: Any, target: str, compare: bool, bank_name: str | None) -> None:
    """A question's answers, oldest first; with --compare, the best beside the latest."""
    from mockint.bank import normalise_id
    from mockint.reports.lines import compare_lines, plain

    name = pick_bank(store, bank_name)
    ids = [q for q in store.question_ids(name) if normalise_id(q) == normalise_id(target)]
    mine = [a for q in ids for a in store.attempts(bank=name, question=q) if a.status == "complete"]
    mine.sort(key=lambda a: (a.graded_at, a.id or 0))  # an older one imported: not latest
    if not mine:
        if re.fullmatch(r"[aA][0-9]+", target):
            raise click.ClickException(f"no attempt '{target}': see 'mockint review SESSION'")
        raise click.BadParameter(
            f"'{target}' is no session, attempt (a12) or answered question (Q12) of bank '{name}'",
            param_hint="'TARGET'",
        )
    b = bank_or_none(name or "")
    q = None
    if b is not None:
        with contextlib.suppress(KeyError):
            q = b.get(mine[0].question_id)
    head = f"{mine[0].question_id} [{mine[0].category}] {q.text if q else ''}"
    click.echo(printable(head.rstrip()))
    click.echo(f"{len(mine)} answer{'s' if len(mine) != 1 else ''}:")
    for x in mine:
        click.echo(f"  a{x.id:<5} {x.score:>5.0f}  {x.graded_at[:16].replace('T', ' ')}")
    if compare:
        best = max(mine, key=lambda x: (x.score, x.id))
        click.echo("\n" + plain(compare_lines(best, mine[-1])), nl=False)


def _list_attempts(attempts: Iterable[Any]) -> None:
    out = Echoed()  # a line each, written a few thousand at a time
    for x in attempts:
        line = (
            f"a{x.id:<5} {x.question_id:>5}  {x.score:>5.0f}  {x.status:<11} {x.mode:<8} "
            f"{x.graded_at[:16].replace('T', ' ')}  {x.category}"
        )
        out.write(printable(line) + "\n")
    out.flush()


def _show_attempt(a: Any) -> None:
    from mockint.reports.lines import attempt_lines, plain

    b = bank_or_none(a.bank)
    q = None
    if b is not None:
        try:
            q = b.get(a.question_id)
        except KeyError:
            q = None
    click.echo(plain(attempt_lines(a, q)), nl=False)


def _play(a: Any, start: float, output: str | None) -> None:
    from mockint.sound.audio import SAMPLE_RATE, load_audio
    from mockint.sound.devices import play
    from mockint.storage.recordings import resolve

    if not a.audio_path:
        raise click.ClickException(f"attempt a{a.id} has no recording (typed, or left out)")
    home = config.paths().home
    p = resolve(home, a.audio_path)
    if p is None or not p.is_file():
        raise click.ClickException(
            f"attempt a{a.id}: its recording {a.audio_path} is gone "
            f"(or not in {home / 'recordings'})"
        )
    audio = load_audio(p)
    play(audio[int(start * SAMPLE_RATE) :], SAMPLE_RATE, device(output))


@click.command()
@bank_option
@mode_option
def history(bank_name: str | None, mode: str | None) -> None:
    """Progress at a glance: a sparkline of scores per category.

    Example: mockint history
    """
    from mockint.reports.gather import gather
    from mockint.reports.report import sparkline
    from mockint.storage.queries import Selection

    store = open_store()
    if store is None:
        click.echo(EMPTY)
        return
    with store:
        name = pick_bank(store, bank_name)
        rep = gather(store, Selection(bank=name, mode=mode), bank_or_none(name or ""))
    if rep is None or not rep.categories:
        click.echo(EMPTY)
        return
    width = max(len(c.name) for c in rep.categories)
    click.echo(
        f"Bank {printable(rep.bank)}: readiness {rep.readiness:.0f}/100, "
        f"{rep.practised} of {rep.bank_questions} questions practised"
    )
    for c in rep.categories:
        scores = [s for _, s in c.series][-30:]
        click.echo(
            printable(f"{c.name:<{width}}")
            + f"  {sparkline(scores):<30}  latest {c.latest:>3.0f}  "
            f"mean {c.mean:>3.0f}  progress {'n/a' if c.trend is None else f'{c.trend:+.0f}'}"
        )


@click.command(name="export")
@click.argument("file", type=OutputPath())
def export_cmd(file: Path) -> None:
    """Save the practice history and recordings to FILE.zip (to move machines).

    FILE '-' (or /dev/stdout) writes the archive to standard output.

    Example: mockint export ~/mockint-backup.zip
    """
    from mockint.reports.lines import plural
    from mockint.storage.archive import MAX_RECORDING_BYTES, export

    to_stdout = config.is_stdout(file)
    if not to_stdout:
        config.report_place(file)  # a directory, device or FIFO: one line, before any work
    r = export(config.paths(), file)
    click.echo(
        f"Exported {plural(r.attempts, 'answer')} and {plural(r.recordings, 'recording')} "
        f"to {one_line(str(file))}",
        err=to_stdout,
    )
    if r.left_out:
        n = len(r.left_out)
        click.echo(
            one_line(
                f"Warning: {n} recording{'s' if n != 1 else ''} left out (gone, outside "
                f"{config.paths().home}, or over {MAX_RECORDING_BYTES // 2**20} MiB), first "
                f"{r.left_out[0]}: those answers travel without audio"
            ),
            err=True,
        )


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(file: Path) -> None:
    """Merge an export (FILE.zip) into this machine's history.

    The whole archive is checked first; a damaged one changes nothing.

    Example: mockint import ~/mockint-backup.zip
    """
    from mockint.limits import open_regular
    from mockint.reports.lines import plural
    from mockint.storage.archive import import_archive

    try:  # /dev/zero passes any size cap (st_size 0) and a FIFO blocks: neither is read
        open_regular(file).close()
    except OSError as e:
        raise click.ClickException(
            f"{file}: cannot be imported ({e.strerror}): give the .zip 'mockint export' wrote"
        ) from None
    r = import_archive(file, config.paths())
    click.echo(
        f"Imported {plural(r.attempts, 'answer')} ({r.duplicates} already here), "
        f"{plural(r.recordings, 'recording')}, {plural(r.sessions, 'session')} "
        f"from {one_line(str(file))}"
    )


COMMANDS = [report, review, history, export_cmd, import_cmd]
