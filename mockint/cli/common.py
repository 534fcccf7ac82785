"""What the commands share: options, finding banks and the store, printing."""

from __future__ import annotations

import contextlib
import json
import math
import re
from pathlib import Path
from typing import Any

import click

from mockint import config
from mockint.bank import Bank, Question
from mockint.errors import BankError
from mockint.terminal import json_safe, one_line


class OutputPath(click.Path):
    """A file to write. A name ending in '/' (or '/.') names a directory and is refused
    here, where that is still seen: a Path drops the '/', and 'out/afile/' replaced the
    file afile, 'newdir/' made a file named newdir."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.endswith(("/", "/.")):
            why = "ends in '/', so names a directory: give the name of a file to write"
            self.fail(f"{value}: {why}", param, ctx)
        if isinstance(value, str) and value != "-" and not value.startswith("/"):
            import os

            try:
                os.getcwd()
            except FileNotFoundError:  # its directory was removed: every path after failed
                why = "the current directory no longer exists: cd to one, or give a full path"
                self.fail(f"{value}: {why}", param, ctx)
        return super().convert(value, param, ctx)


def edit_text(text: str) -> str | None:
    """``text`` as the user edits it in $EDITOR, or None when it was not saved; when
    standard input is not a terminal, its next line (None at its end), as practice takes
    it: an editor started there read the piped text as keystrokes, or waited for ever.

    The editor runs on a file of mockint's own; what it leaves there is read as a regular
    file only (not through a link), with a cap: a FIFO left in its place hung the read
    forever, and a link's target was read and stored. Anything else is one ClickException."""
    import os
    import tempfile

    from mockint.limits import MAX_STORED_CHARS
    from mockint.ui import at_terminal, input_lines

    if not at_terminal():
        try:
            return next(input_lines(), None)
        except UnicodeDecodeError:
            fix = "nothing was stored: give the corrected transcript as UTF-8 text"
            raise click.ClickException(f"standard input: not UTF-8 text: {fix}") from None
    fd, name = tempfile.mkstemp(prefix="mockint-edit-", suffix=".txt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") + (b"" if text.endswith("\n") else b"\n"))
        # two seconds back: an editor saving within the file system's time resolution
        st = os.stat(name)
        os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns - 2_000_000_000))
        stamp = os.stat(name).st_mtime_ns
        click.edit(filename=name)
        return _read_edited(name, stamp, 4 * MAX_STORED_CHARS)
    finally:
        _remove_edited(name)


def _remove_edited(name: str) -> None:
    """Remove what the editor left in the temporary file's place: a file, a link, a FIFO,
    or a directory if it is empty (one left full is left alone: another user may have
    filled it, and what is in it is not mockint's to delete). Quietly: it is only tidying."""
    import os

    try:
        os.unlink(name)
    except IsADirectoryError:
        with contextlib.suppress(OSError):
            os.rmdir(name)
    except OSError:
        pass


def _read_edited(name: str, stamp: int, cap: int) -> str | None:
    import os
    import stat

    from mockint.limits import open_regular

    fix = "nothing was stored: save the transcript as a plain text file"
    try:
        mode = os.lstat(name).st_mode
        if stat.S_ISLNK(mode):
            raise click.ClickException(f"{name}: the editor left a symlink in its place: {fix}")
        with open_regular(name, follow=False) as f:
            if os.fstat(f.fileno()).st_mtime_ns == stamp:
                return None
            raw = f.read(cap + 1)
    except OSError as e:
        raise click.ClickException(
            f"{name}: cannot read the edited transcript ({e.strerror}): {fix}"
        ) from None
    if len(raw) > cap:
        raise click.ClickException(f"{name}: over {cap:,} bytes: {fix}")
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise click.ClickException(f"{name}: not UTF-8 text: {fix}") from None


EMPTY = "No answers yet: run 'mockint practice' (or 'mockint grade --save') first."


class LibraryDefault:
    """A click option's default read from the library, where it is written once: a
    field of an options dataclass, or a constant ("mockint.hearing.transcribe:
    WhisperOptions.model"). Read when needed (for the help, or when the option is not
    given), so a command's module is imported only when that command runs; help shows
    the value itself."""

    def __init__(self, where: str):
        self.module, _, self.name = where.partition(":")

    def __call__(self) -> Any:
        import importlib

        value: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            value = getattr(value, part)  # a dataclass field's default is its class attribute
        return value

    def __str__(self) -> str:
        return str(self())


WHISPER = "mockint.hearing.transcribe:WhisperOptions"
# SQLite's integers are 64-bit: a larger id names nothing (and would overflow the query)
MAX_ID = 2**63 - 1


def store_id(text: str) -> int | None:
    """An id typed by the user (digits only), or None when no row can have it."""
    if not re.fullmatch(r"[0-9]+", text):
        return None
    n = int(text)
    return n if n <= MAX_ID else None


class Seconds(click.FloatRange):
    """A FloatRange of seconds that refuses nan and inf too (nan passes every comparison:
    --max-seconds nan never stopped a recording, --silence nan never ended an answer)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return rv


bank_option = click.option("--bank", "bank_name", metavar="NAME", help="Question bank to use.")
mode_option = click.option(
    "--mode", type=click.Choice(["practice", "live"]), help="Only answers given in this mode."
)
output_device_option = click.option(
    "--output-device", metavar="D", help="Speaker: index or name (mockint devices)."
)
category_option = click.option(
    "--category", "-c", multiple=True, help="Only this category (repeatable)."
)
model_option = click.option(
    "--model",
    "-m",
    default=LibraryDefault(f"{WHISPER}.model"),
    show_default=True,
    metavar="M",
    help="Whisper model: tiny.en or base.",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(["ct2", "openai"]),
    default=LibraryDefault(f"{WHISPER}.engine"),
    show_default=True,
    help="Whisper engine: CTranslate2 int8 (fast) or openai-whisper fp32 (reference).",
)
threads_option = click.option(
    "--threads",
    default=LibraryDefault(f"{WHISPER}.threads"),
    show_default=True,
    type=click.IntRange(1, 64),
    help="CPU threads for Whisper.",
)


def status(msg: str) -> None:
    """Progress for the person at the terminal: stderr, so --json output stays clean."""
    click.echo(msg, err=True)


def open_page(page: Path) -> None:
    """Open a written page in the browser, or say on stderr that none could (a server, a
    container: webbrowser says False, and nothing was said)."""
    import webbrowser

    try:
        opened = webbrowser.open(page.resolve().as_uri())
    except webbrowser.Error:
        opened = False
    if not opened:
        where = one_line(str(page.resolve()))
        status(f"Warning: no browser could be opened: open {where} in one yourself")


def emit_json(data: Any) -> None:
    click.echo(json_safe(json.dumps(data, indent=2, ensure_ascii=False)))


def bank_dirs() -> list[Path]:
    dirs = [config.paths().banks]
    shipped = config.shipped_banks_dir()
    if shipped is not None and shipped not in dirs:
        dirs.append(shipped)
    return dirs


def load_bank(name: str | None) -> Bank:
    from mockint.bank import find_bank

    return find_bank(name, bank_dirs())


def bank_or_none(name: str) -> Bank | None:
    from mockint.bank import find_bank

    try:
        return find_bank(name, bank_dirs())
    except BankError:
        return None


def question(bank: Bank, qid: str) -> Question:
    try:
        return bank.get(qid)
    except KeyError:
        raise click.BadParameter(
            f"no question '{qid}' in bank '{bank.name}': see 'mockint bank list'",
            param_hint="'--question'",
        ) from None


def check_categories(bank: Bank, categories: tuple[str, ...]) -> None:
    known = {c.casefold() for c in bank.categories}
    for c in categories:
        if c.casefold() not in known:
            raise click.BadParameter(
                f"no category '{c}' in bank '{bank.name}': "
                f"choose one of {', '.join(bank.categories)}",
                param_hint="'--category'",
            )


def check_model(model: str) -> None:
    """A known, prepared Whisper model, or a one-line error with the fix."""
    from mockint.models.registry import WHISPER_MODELS, find_checkpoint

    if model not in WHISPER_MODELS:
        raise click.BadParameter(
            f"unknown model '{model}': choose from {', '.join(WHISPER_MODELS)}",
            param_hint="'--model'",
        )
    find_checkpoint(model)


def device(value: str | None) -> int | str | None:
    """A device given on the command line: an index, or (part of) a name."""
    return int(value) if value is not None and re.fullmatch(r"[0-9]+", value) else value


def open_store() -> Any:
    """The store, or None when nothing has been recorded yet (never creates one to read)."""
    from mockint.storage.store import Store

    db = config.paths().db
    return Store(db, readonly=True) if db.exists() else None


def pick_bank(store: Any, bank_name: str | None) -> str | None:
    """The bank a report is about: --bank, else the only one practised, else the default."""
    if bank_name:
        return bank_name
    from mockint.bank import DEFAULT_BANK

    banks = store.banks()
    if len(banks) == 1 or DEFAULT_BANK not in banks:
        return banks[0] if banks else None
    return DEFAULT_BANK


class Echoed:
    """Text written to stdout as click.echo writes it (UTF-8 even where Python's stdout is
    ASCII), in pieces of about 64 KB."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def write(self, s: str) -> int:
        self._parts.append(s)
        self._size += len(s)
        if self._size >= 1 << 16:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if self._parts:
            click.echo("".join(self._parts), nl=False)
            self._parts, self._size = [], 0
