"""Question banks: the plain-text interview format, the TOML form, validation.

A bank is a list of :class:`Question` with a name. Two on-disk forms:

* the plain-text format of ``resume-interview-questions.txt``: a header of
  ``- Category name: Q1–Q20`` lines, then entries ``QN. question`` / ``Answer:``
  / answer text (:func:`parse_text`);
* TOML, for authoring by hand and for what ``mockint bank import`` stores
  (:func:`parse_toml`, :func:`to_toml`).

Parsing is pure: it takes text and returns a :class:`Bank` or raises a
:class:`BankError` naming the file and line.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mockint.bankranges import Ranges
from mockint.errors import BankError
from mockint.limits import read_capped, toml_unsafe
from mockint.terminal import control_char, printable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# What a bank may hold (docs/banks.md): enough for any real bank, and small
# enough that a hostile one cannot exhaust memory or time.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_QUESTIONS = 10_000
MAX_LINE_CHARS = 20_000
MAX_TEXT_CHARS = 2_000  # a question, a category or a title
MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True)
class Question:
    """One interview question and the answer it is graded against."""

    id: str
    category: str
    text: str
    model_answer: str
    # "technical", or "behavioural" (answers also get STAR feedback)
    kind: str = "technical"

    @property
    def behavioural(self) -> bool:
        return self.kind == "behavioural"


@dataclass(frozen=True)
class Bank:
    """A named, ordered set of questions."""

    name: str
    questions: tuple[Question, ...]
    title: str = ""
    source: str = ""

    @property
    def categories(self) -> list[str]:
        """Category names in the order they first appear."""
        return list(dict.fromkeys(q.category for q in self.questions))

    def get(self, qid: str) -> Question:
        """The question with id ``qid`` (``Q7``, ``q7`` and ``7`` all find ``Q7``)."""
        want = normalise_id(qid)
        for q in self.questions:
            if normalise_id(q.id) == want:
                return q
        raise KeyError(qid)

    def select(self, categories: Iterable[str] = ()) -> list[Question]:
        """Questions in any of ``categories`` (case-insensitive; all if empty)."""
        wanted = {c.casefold() for c in categories}
        return [q for q in self.questions if not wanted or q.category.casefold() in wanted]


KINDS = ("technical", "behavioural")
# plain-text banks have no field for it: categories named like these are behavioural
BEHAVIOURAL_CATEGORY = re.compile(r"behaviou?ral|soft[- ]skill|career", re.I)


def _kind(value: object, where: str, path: str) -> str:
    if value in (None, ""):
        return "technical"
    k = str(value).strip().lower().replace("behavioral", "behavioural")
    if k not in KINDS:
        raise BankError(
            path, None, f"{where}: kind {str(value)[:40]!r} must be {' or '.join(KINDS)}"
        )
    return k


def normalise_id(qid: str) -> str:
    s = qid.strip().casefold()
    return s[1:] if re.fullmatch(r"q\d+", s) else s


# --- plain text ---------------------------------------------------------------------

# (numbers of at most 9 digits: int() of 4,300 digits and more raises)
_RANGE_RE = re.compile(
    r"^\s*[-*•]\s*(?P<name>.+?)\s*:\s*Q(?P<a>\d{1,9})\s*[-–—]\s*Q?(?P<b>\d{1,9})\s*$"
)
_ENTRY_RE = re.compile(r"^Q(?P<n>\d{1,9})\s*[.):]\s*(?P<text>.*)$")
_ANSWER_RE = re.compile(r"^Answer\s*:\s*(?P<rest>.*)$", re.IGNORECASE)


def _clean(text: str) -> list[str]:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_text(text: str, path: str = "<text>", name: str = "") -> Bank:
    """Parse the plain-text bank format (header of category ranges, then entries)."""
    # long: one pass of a line-oriented state machine; split, its states would scatter
    lines = _clean(text)
    for k, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE_CHARS:
            raise BankError(
                path, k, f"line of {len(raw):,} characters: at most {MAX_LINE_CHARS:,} (split it)"
            )
    ranges = Ranges(path, MAX_QUESTIONS)
    title = ""
    i = 0
    # Header: everything before the first entry.
    while i < len(lines) and not _ENTRY_RE.match(lines[i].strip()):
        s = lines[i].strip()
        m = _RANGE_RE.match(s) if len(s) <= MAX_TEXT_CHARS else None
        if m:
            ranges.add(m["name"], int(m["a"]), int(m["b"]), i + 1)
        elif s and not title:
            title = s
        i += 1
    _no_control(title, "the title", path)
    if not ranges.items:
        raise BankError(
            path, None, "no category ranges in the header: add lines like '- General: Q1–Q20'"
        )

    entries: list[
        tuple[int, int, str, list[str], int | None]
    ] = []  # n, line, text, answer, ans line
    state = "none"
    for j in range(i, len(lines)):
        s = lines[j].strip()
        m = _ENTRY_RE.match(s)
        if m:
            entries.append((int(m["n"]), j + 1, m["text"].strip(), [], None))
            state = "question"
            continue
        if not entries:
            continue
        n, line, qtext, answer, ans_line = entries[-1]
        am = _ANSWER_RE.match(s)
        if am and state == "question":
            entries[-1] = (n, line, qtext, answer, j + 1)
            if am["rest"]:
                answer.append(am["rest"])
            state = "answer"
        elif state == "question" and s:
            entries[-1] = (n, line, f"{qtext} {s}".strip(), answer, ans_line)
        elif am and s.startswith("Answer"):  # a second 'Answer:', as the format writes it:
            # the entry it belongs to was read as answer text ('answer:' may be a word)
            raise BankError(
                path,
                j + 1,
                f"a second 'Answer:' in Q{n}'s answer: an entry line above it is not in the "
                "form 'QN. question': write that line so",
            )
        elif state == "answer":
            answer.append(s)

    if not entries:
        raise BankError(path, None, "no questions found: entries look like 'Q1. Question text'")

    questions: list[Question] = []
    seen: dict[int, int] = {}
    for n, line, qtext, answer, ans_line in entries:
        if n in seen:
            raise BankError(path, line, f"duplicate id Q{n} (first at line {seen[n]})")
        seen[n] = line
        if not qtext:
            raise BankError(path, line, f"Q{n} has no question text")
        body = "\n".join(answer).strip()
        body = re.sub(r"\n{2,}", "\n\n", body)
        if ans_line is None or not body:
            raise BankError(path, line, f"Q{n} has no answer: add a line 'Answer:' and the answer")
        cat = ranges.find(n)
        if cat is None:
            raise BankError(path, line, f"Q{n} is outside every category range in the header")
        kind = "behavioural" if BEHAVIOURAL_CATEGORY.search(cat) else "technical"
        questions.append(_checked(Question(f"Q{n}", cat, qtext, body, kind), path, line))
    if len(questions) > MAX_QUESTIONS:
        raise BankError(path, None, f"{len(questions):,} questions: at most {MAX_QUESTIONS:,}")
    ranges.check_held(set(seen), lines)
    source = printable(Path(path).name)  # a file name's escape is shown, never stored raw
    return Bank(name or slug(Path(path).stem), tuple(questions), title=title, source=source)


# --- TOML ----------------------------------------------------------------------------


def _toml_line(key: str, value: str, text: str) -> int | None:
    """Best-effort line number of a key's value in TOML text, for messages (errors only)."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key) and value[:20] in line:
            return n
    return None


def _checked(q: Question, path: str, line: int | None) -> Question:
    """The question, if every field is within the limits; else a BankError saying which."""
    if not ID_RE.match(q.id):
        raise BankError(
            path,
            line,
            f"id '{q.id[:40]}' is not usable: use letters, digits, '-' or '_' (at most 32)",
        )
    for what, value, limit in (
        ("category", q.category, MAX_TEXT_CHARS),
        ("question text", q.text, MAX_TEXT_CHARS),
        ("answer", q.model_answer, MAX_ANSWER_CHARS),
    ):
        if len(value) > limit:
            raise BankError(
                path, line, f"{q.id}: {what} of {len(value):,} characters: at most {limit:,}"
            )
        _no_control(value, f"{q.id}: {what}", path, line)
    return q


def _no_control(value: str, where: str, path: str, line: int | None = None) -> None:
    """A control character (an escape sequence would reach the terminal): refused."""
    found = control_char(value)
    if found:
        raise BankError(
            path,
            line,
            f"{where} holds the control character {found}: remove it "
            "(a bank holds plain text; tab and newline are fine)",
        )


def parse_toml(text: str, path: str = "<toml>", name: str = "") -> Bank:
    """Parse the TOML bank form (docs/banks.md: ``[[question]]`` tables), checking every type."""
    # long: the bounds before parsing, then each type checked in turn, in the file's order
    why = toml_unsafe(text)
    if why:
        raise BankError(path, None, why)
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise BankError(path, int(m[1]) if m else None, f"not valid TOML: {e}") from e
    except ValueError:  # Python's limit on the digits of an integer
        raise BankError(path, None, "not valid TOML: a number of over 4,300 digits") from None
    meta = data.get("bank", {})
    if not isinstance(meta, dict):
        raise BankError(path, None, "'bank' must be a table: write [bank] with name = \"...\"")
    for key in ("name", "title", "source"):
        if not isinstance(meta.get(key, ""), str):
            raise BankError(path, None, f"bank {key} must be a string")
        _no_control(meta.get(key, ""), f"bank {key}", path)
    items = data.get("question", [])
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise BankError(path, None, "no questions found: add [[question]] tables")
    if len(items) > MAX_QUESTIONS:
        raise BankError(path, None, f"{len(items):,} questions: at most {MAX_QUESTIONS:,}")
    kinds = _category_kinds(data.get("category", []), path)
    questions: list[Question] = []
    seen: set[str] = set()
    for k, item in enumerate(items, 1):
        qid = item.get("id", "")
        small = isinstance(qid, int) and abs(qid) < 10**18  # 0x and 4,000 f's cannot print
        qid = str(qid).strip() if isinstance(qid, str) or small else ""
        where = f"question {k}" + (f" ({qid})" if qid else "")
        if not qid:
            raise BankError(path, None, f'{where} has no id (a string such as "Q{k}")')
        if normalise_id(qid) in seen:
            raise BankError(path, _toml_line("id", qid, text), f"duplicate id {qid}")
        seen.add(normalise_id(qid))
        fields = {}
        for f in ("category", "text", "answer"):
            value = item.get(f, "")
            if not isinstance(value, str):
                kind = type(value).__name__
                raise BankError(
                    path, _toml_line("id", qid, text), f"{where}: {f} must be a string, not {kind}"
                )
            if not value.strip():
                raise BankError(path, _toml_line("id", qid, text), f"{where} has no {f}")
            fields[f] = value.strip()
        kind = (
            _kind(item.get("kind"), where, path)
            if "kind" in item
            else kinds.get(fields["category"], "technical")
        )
        q = Question(qid, fields["category"], fields["text"], fields["answer"], kind)
        questions.append(_checked(q, path, None))
    return Bank(
        name or str(meta.get("name") or slug(Path(path).stem)),
        tuple(questions),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
    )


def _category_kinds(items: object, path: str) -> dict[str, str]:
    """``[[category]]`` tables (name, kind): the kind of every question in a category."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BankError(path, None, "'category' must be [[category]] tables with name and kind")
    out = {}
    for k, item in enumerate(items, 1):
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BankError(path, None, f"category {k} has no name")
        out[name.strip()] = _kind(item.get("kind"), f"category '{name[:40]}'", path)
    return out


def _toml_str(s: str) -> str:
    if "\n" in s and '"""' not in s and "\\" not in s:
        return '"""\n' + s + '"""'
    return json.dumps(s, ensure_ascii=False)


def to_toml(bank: Bank) -> str:
    """Render a bank as TOML that :func:`parse_toml` reads back unchanged."""
    out = ["[bank]", f"name = {_toml_str(bank.name)}"]
    if bank.title:
        out.append(f"title = {_toml_str(bank.title)}")
    if bank.source:
        out.append(f"source = {_toml_str(bank.source)}")
    whole = [
        c for c in bank.categories if all(q.behavioural for q in bank.questions if q.category == c)
    ]
    for c in whole:
        out += ["", "[[category]]", f"name = {_toml_str(c)}", 'kind = "behavioural"']
    for q in bank.questions:
        out += [
            "",
            "[[question]]",
            f"id = {_toml_str(q.id)}",
            f"category = {_toml_str(q.category)}",
            f"text = {_toml_str(q.text)}",
            f"answer = {_toml_str(q.model_answer)}",
        ]
        if q.behavioural and q.category not in whole:
            out.append('kind = "behavioural"')
    return "\n".join(out) + "\n"


# --- files ------------------------------------------------------------------------------


def slug(s: str) -> str:
    """A bank name from a file stem: lower case, letters, digits, '-' and '_'."""
    out = re.sub(r"[^a-z0-9_-]+", "-", s.casefold()).strip("-_")
    return out[:64] or "bank"


def load_file(path: Path, name: str = "") -> Bank:
    """Parse a bank file by its extension: ``.toml``, otherwise the plain-text format."""
    try:
        raw = read_capped(path, MAX_FILE_BYTES)  # a FIFO or device is refused, never read
    except OSError as e:
        raise BankError(
            str(path), None, f"cannot read ({e.strerror}): give a readable bank file"
        ) from e
    if len(raw) > MAX_FILE_BYTES:
        raise BankError(
            str(path), None, f"more than {MAX_FILE_BYTES:,} bytes: a bank file holds at most that"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BankError(str(path), None, "not UTF-8 text: save it as UTF-8") from e
    if path.suffix.casefold() == ".toml":
        return parse_toml(text, str(path), name)
    return parse_text(text, str(path), name)


def bank_files(dirs: Sequence[Path]) -> dict[str, Path]:
    """Bank name -> TOML file, the first directory winning on a clash."""
    found: dict[str, Path] = {}
    for d in dirs:
        if d.is_dir():
            for p in sorted(d.glob("*.toml")):
                found.setdefault(p.stem, p)
    return found


def validate_name(name: str) -> str:
    """Check a bank name is usable as a file name; return it."""
    if not NAME_RE.match(name):
        raise BankError(
            "",
            None,
            f"bank name '{name}' is not usable: use lower-case letters, digits, '-' or '_'",
        )
    return name


def find_bank(name: str | None, dirs: Sequence[Path]) -> Bank:
    """Load the bank called ``name`` from ``dirs``; with no name, the only or 'resume' bank."""
    files = bank_files(dirs)
    if not files:
        raise BankError(
            str(dirs[0]) if dirs else "bank/",
            None,
            "no question banks: run 'mockint bank import FILE'",
        )
    if name is None:
        if len(files) == 1:
            name = next(iter(files))
        elif DEFAULT_BANK in files:
            name = DEFAULT_BANK
        else:
            raise BankError(
                str(dirs[0]),
                None,
                f"several banks ({', '.join(files)}): choose one with --bank NAME",
            )
    if name not in files:
        raise BankError(
            str(dirs[0]),
            None,
            f"no bank named '{name}': choose one of {', '.join(files)}",
        )
    return load_file(files[name], name)


def import_bank(
    src: Path,
    dest: Path,
    name: str | None = None,
    replace: bool = False,
    others: Sequence[Path] = (),
) -> Path:
    """Validate a bank file and store it as ``dest/NAME.toml``; return that path.

    Nothing is written unless the whole file, and the bank as stored, is valid (a file name's
    escape was once stored, then refused on every load). A bank of the same name, in
    ``dest`` or in ``others`` (the shipped banks), is replaced only with ``replace``.
    """
    from mockint.config import write_atomic

    bank = load_file(src, validate_name(name) if name else "")
    validate_name(bank.name)
    out = dest / f"{bank.name}.toml"
    clash = next((d / out.name for d in (dest, *others) if os.path.lexists(d / out.name)), None)
    if clash is not None and not replace:
        raise BankError(
            str(src),
            None,
            f"a bank named '{bank.name}' exists already ({clash}): pass --name NEW, or "
            "--replace to use this one in its place",
        )
    parse_toml(text := to_toml(bank), str(src), bank.name)  # it loads as it will be stored
    if os.path.lexists(dest) and not dest.is_dir():
        raise BankError(
            str(dest),
            None,
            "a file where the imported banks (a folder) go: remove or rename it, then import again",
        )
    try:
        write_atomic(out, text, follow=False)  # a link there is replaced, not written through
    except OSError as e:
        raise BankError(
            str(out), None, f"cannot write: {e.strerror}: free some space or check the permissions"
        ) from None
    return out


DEFAULT_BANK = "resume"
