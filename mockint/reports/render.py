"""The score report as text, Markdown, JSON or CSV (from a :class:`~mockint.reports.report.Report`);
HTML is :mod:`mockint.reports.html`.

The JSON form is the schema other tools read (docs/usage.md, "Report formats").
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from typing import Any, TextIO

from mockint.grading.delivery import describe as describe_delivery
from mockint.reports.html import render_html, write_html
from mockint.reports.lines import plural
from mockint.reports.report import AttemptView, Report, sparkline
from mockint.terminal import json_safe, printable
from mockint.transcript import described


def render_json(r: Report) -> str:
    """The report as JSON text (:func:`write_json` into a string)."""
    return _rendered(write_json, r)


def write_json(r: Report, out: TextIO) -> None:
    """Write the report as JSON (the schema in docs/usage.md), two-space indented: its
    listed answers and series are written as they are read, never held whole."""
    token = f"\x00{secrets.token_hex(8)}:"
    slots: list[Iterable[Any]] = []

    def slot(xs: Iterable[Any]) -> str:
        slots.append(xs)
        return f"{token}{len(slots) - 1}"

    bare = replace(
        r,
        items=[],
        categories=[replace(c, series=[]) for c in r.categories],
        progress=[replace(p, series=[]) for p in r.progress],
    )
    d = bare.to_dict()
    # each answer's fields as they are (plain JSON values already): asdict would copy
    # every key point of a million answers only to serialise the copy
    names = [f.name for f in fields(AttemptView)]
    d["items"] = slot({k: getattr(a, k) for k in names} for a in r.items)
    series = [c.series for c in r.categories] + [p.series for p in r.progress]
    for dc, xs in zip(d["categories"] + d["progress"], series, strict=True):
        dc["series"] = slot({"graded_at": t, "score": s} for t, s in xs)
    text = json.dumps(d, indent=2, ensure_ascii=False)
    marks = re.compile(re.escape(json.dumps(token)[:-1]) + r'(\d+)"')
    at = 0
    for m in marks.finditer(text):
        out.write(json_safe(text[at : m.start()]))
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        _json_array(slots[int(m.group(1))], " " * (len(line) - len(line.lstrip())), out)
        at = m.end()
    out.write(json_safe(text[at:]) + "\n")


def _json_array(xs: Iterable[Any], indent: str, out: TextIO) -> None:
    """Write a JSON array as ``json.dumps(list(xs), indent=2)`` would inside a value
    whose line is indented by ``indent``, one element at a time."""
    inner, first = indent + "  ", True
    for x in xs:
        out.write("[\n" if first else ",\n")
        first = False
        out.write(
            json_safe(
                inner + json.dumps(x, indent=2, ensure_ascii=False).replace("\n", "\n" + inner)
            )
        )
    out.write("[]" if first else "\n" + indent + "]")


def _rendered(write: Callable[[Report, TextIO], None], r: Report) -> str:
    buf = io.StringIO()
    write(r, buf)
    return buf.getvalue()


CSV_COLUMNS = [
    "attempt_id",
    "session_id",
    "bank",
    "question_id",
    "category",
    "graded_at",
    "score",
    "key_points",
    "covered",
    "duration",
    "transcript",
    "notes",
    "answer_number",
    "change_since_first",
    "mode",
    "corrected_words",
    "heard_transcript",
]


def render_csv(r: Report) -> str:
    """The report as CSV text (:func:`write_csv` into a string)."""
    return _rendered(write_csv, r)


def write_csv(r: Report, out: TextIO) -> None:
    """One row per attempt (columns: CSV_COLUMNS), written as the answers are read;
    answer_number counts the answers to its question so far, change_since_first is its
    score minus the first answer's; corrected_words counts the words a correction
    changed, heard_transcript is the transcript as the recogniser heard it (empty when
    nothing was corrected)."""
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    first: dict[str, float] = {}
    count: dict[str, int] = {}
    for a in r.items:
        first.setdefault(a.question_id, a.score)
        count[a.question_id] = count.get(a.question_id, 0) + 1
        w.writerow(
            [
                a.id,
                a.session_id,
                _cell(r.bank),
                _cell(a.question_id),
                _cell(a.category),
                _cell(a.graded_at),
                a.score,
                len(a.key_points),
                sum(1 for k in a.key_points if k.get("covered")),
                a.duration if a.duration is not None else "",
                _cell(a.transcript),
                _cell("; ".join(a.notes)),
                count[a.question_id],
                round(a.score - first[a.question_id], 1),
                _cell(a.mode),
                len(a.corrections),
                _cell(a.heard_text or ""),
            ]
        )


def _cell(text: str) -> str:
    """Text a spreadsheet will not run: a leading = + - @ (or tab, CR) gets a quote before
    it; a control character (a store made before imports refused them) is shown, not sent."""
    text = printable(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.0f}"


def render_text(r: Report, width: int = 100) -> str:
    """The report as rich tables (for a terminal)."""
    from rich.console import Console

    con = Console(record=True, width=width, file=io.StringIO(), highlight=False)
    con.print(
        f"[bold]Bank {_safe(r.bank)}[/bold]: {plural(r.attempts, 'answer')} to {r.practised} of "
        f"{r.bank_questions} questions, {r.first_at[:10]} to {r.last_at[:10]}. "
        f"Readiness [bold]{r.readiness:.0f}/100[/bold] (mean latest score)."
    )
    con.print(_category_table(r))
    if r.progress:
        con.print(_progress_table(r))
    if r.weakest:
        con.print("[bold]Weakest questions[/bold]")
        for w in r.weakest:
            qid, text = _safe(f"{w['question_id']:>5}"), _safe(w["question"])
            con.print(f"  {w['latest']:>5.0f}  {qid}  {text}")
            for note in w.get("notes", []):
                con.print(f"{'':>16}[dim]{_safe(note)}[/dim]")
    for line in _study_lines(r) + _corrected_lines(r):
        con.print(line)
    if r.delivery:
        con.print("[bold]Delivery[/bold] (means over the spoken answers)")
        for line in describe_delivery(r.delivery):
            con.print(f"  {_safe(line)}")
    if r.models:
        con.print(
            "[dim]Models: "
            + ", ".join(_safe(f"{m['name']} ({m['sha256'][:12]})") for m in r.models)
            + "[/dim]"
        )
    return con.export_text()


def _category_table(r: Report) -> Any:
    """Scores by category, with each category's trend and latest scores as a sparkline."""
    from rich.table import Table

    t = Table(title="By category", title_justify="left")
    for col, just in [
        ("Category", "left"),
        ("Answers", "right"),
        ("Questions", "right"),
        ("Mean", "right"),
        ("Best", "right"),
        ("Latest", "right"),
        ("Progress", "right"),
        ("", "left"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for c in r.categories:
        t.add_row(
            _safe(c.name),
            str(c.attempts),
            f"{c.questions}/{c.bank_questions}",
            f"{c.mean:.0f}",
            f"{c.best:.0f}",
            f"{c.latest:.0f}",
            _signed(c.trend),
            sparkline([s for _, s in c.series][-20:]),
        )
    return t


def _progress_table(r: Report) -> Any:
    """First, best and latest score of each question answered more than once."""
    from rich.table import Table

    p = Table(title="Progress by question (answered more than once)", title_justify="left")
    for col in ("Question", "Answers", "First", "Best", "Latest", "Change"):
        p.add_column(col, justify="left" if col == "Question" else "right")
    for q in r.progress:
        p.add_row(
            _safe(f"{q.question_id} {q.question}"[:60]),
            str(q.attempts),
            f"{q.first:.0f}",
            f"{q.best:.0f}",
            f"{q.latest:.0f}",
            f"{q.change:+.0f}",
        )
    return p


def _study_lines(r: Report) -> list[str]:
    if not r.missed:
        return []
    out, current = ["[bold]What to study next[/bold] (key points missed most often)"], None
    for m in r.missed:
        if m.question_id != current:
            current = m.question_id
            out.append(_safe(f"  {m.question_id}  {m.question}"))
        out.append(_safe(f"    - {m.text}") + f" (missed in {m.missed} of {m.answers})")
    return out


UNDO = "undo: mockint review aN --edit --undo N|all"


def _corrected(r: Report) -> tuple[str, list[tuple[AttemptView, str]]]:
    """The corrected words' summary line, and the latest answers with any, each with its
    words marked ("Redis (heard: readies)")."""
    c = r.corrected
    if not c.answers:
        return "", []
    words = f"{c.words} word{'s' if c.words != 1 else ''}"
    head = f"{words} corrected in {c.answers} of {r.attempts} answers"
    rows = [
        (a, described([(x["word"], x["heard"], x["shown"]) for x in a.corrections]))
        for a in c.latest
    ]
    return head, rows


def _more(r: Report, shown: int) -> list[str]:
    rest = r.corrected.answers - shown
    return [f"  ... and {rest} more answers (the JSON report lists them all)"] if rest > 0 else []


def _corrected_lines(r: Report) -> list[str]:
    """The text report's corrected words, as rich markup."""
    head, rows = _corrected(r)
    if not head:
        return []
    out = [f"  a{a.id:<5} {a.question_id:>5}  {line}" for a, line in rows] + _more(r, len(rows))
    return ["[bold]Corrected words[/bold]", *(_safe(x) for x in [f"  {head} ({UNDO})", *out])]


def _safe(text: str) -> str:
    """Text from a bank or the store inside rich markup: its brackets escaped (``[/b]`` and
    ``list[str]`` print as they are), its control characters made visible."""
    from rich.markup import escape

    return escape(printable(str(text)))


def render_md(r: Report) -> str:
    """Markdown to paste into notes or an issue: summary, categories, weakest questions,
    progress per question, what to study next."""
    out = [
        f"# Interview practice: {_md(r.bank)}",
        "",
        f"{plural(r.attempts, 'answer')} to {r.practised} of {r.bank_questions} questions, "
        f"{r.first_at[:10]} to {r.last_at[:10]}. **Readiness {r.readiness:.0f}/100** "
        "(mean of each question's latest score).",
        "",
        "## By category",
        "",
        "| Category | Answers | Questions | Mean | Best | Latest | Progress |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {_md(c.name)} | {c.attempts} | {c.questions}/{c.bank_questions} | "
        f"{c.mean:.0f} | {c.best:.0f} | {c.latest:.0f} | {_signed(c.trend)} |"
        for c in r.categories
    ]
    if r.weakest:
        out += ["", "## Weakest questions", ""]
        out += [
            f"- {w['latest']:.0f} · {_md(w['question_id'])} {_md(w['question'])}" for w in r.weakest
        ]
    if r.progress:
        out += [
            "",
            "## Progress by question",
            "",
            "| Question | Answers | First | Best | Latest | Change |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {_md(p.question_id)} {_md(p.question)} | {p.attempts} | {p.first:.0f} | "
            f"{p.best:.0f} | {p.latest:.0f} | {p.change:+.0f} |"
            for p in r.progress
        ]
    if r.missed:
        out += ["", "## What to study next", ""]
        current = None
        for m in r.missed:
            if m.question_id != current:
                current = m.question_id
                out.append(f"- **{_md(m.question_id)}** {_md(m.question)}")
            out.append(f"  - {_md(m.text)} (missed in {m.missed} of {m.answers})")
    head, rows = _corrected(r)
    if head:
        out += ["", "## Corrected words", "", f"{head} (undo: `{UNDO[6:]}`).", ""]
        out += [f"- a{a.id} · {a.question_id}: {_md(line)}" for a, line in rows]
        out += [f"- {x.strip()}" for x in _more(r, len(rows))]
    if r.delivery:
        out += ["", "## Delivery (means)", ""] + [f"- {x}" for x in describe_delivery(r.delivery)]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Bank or store text in Markdown: shown as text, never run as HTML (a CommonMark
    renderer passes raw HTML through), kept on its line and in its table cell."""
    text = re.sub(r"([\\`\[\]])", r"\\\1", printable(str(text)))  # no code span, no link
    text = html.escape(text, quote=False)
    return text.replace("|", "\\|").replace("\n", " ")


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "html": render_html,
    "json": render_json,
    "csv": render_csv,
    "md": render_md,
}


def _write_text(r: Report, out: TextIO) -> None:
    out.write(render_text(r))


def _write_md(r: Report, out: TextIO) -> None:
    out.write(render_md(r))


# each format written into a text stream (the formats that list every answer as they
# are read)
WRITERS: dict[str, Callable[[Report, TextIO], None]] = {
    "text": _write_text,
    "md": _write_md,
    "json": write_json,
    "csv": write_csv,
    "html": write_html,
}
