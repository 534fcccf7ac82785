"""The score report as text, HTML, JSON or CSV (from a :class:`~mockint.report.Report`).

The JSON form is the schema other tools read (see README, "Report formats");
HTML is one self-contained file (inline CSS and SVG, no script, nothing loaded
from the network).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import Any

from mockint.report import CategoryStats, Report, sparkline


def render_json(r: Report) -> str:
    return json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = [
    "attempt_id", "session_id", "bank", "question_id", "category", "graded_at", "score",
    "key_points", "covered", "duration", "transcript", "notes",
]  # fmt: skip


def render_csv(r: Report) -> str:
    """One row per attempt (columns: CSV_COLUMNS)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for a in r.items:
        w.writerow(
            [a.id, a.session_id, _cell(r.bank), _cell(a.question_id), _cell(a.category),
             a.graded_at, a.score, len(a.key_points),
             sum(1 for k in a.key_points if k.get("covered")),
             a.duration if a.duration is not None else "", _cell(a.transcript),
             _cell("; ".join(a.notes))]
        )  # fmt: skip
    return buf.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run: a leading = + - @ (or tab, CR) gets a quote before it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_text(r: Report, width: int = 100) -> str:
    """The report as a rich table (for a terminal)."""
    from rich.console import Console
    from rich.table import Table

    con = Console(record=True, width=width, file=io.StringIO(), highlight=False)
    con.print(
        f"[bold]Bank {r.bank}[/bold]: {r.attempts} answers to {r.practised} of "
        f"{r.bank_questions} questions, {r.first_at[:10]} to {r.last_at[:10]}. "
        f"Readiness [bold]{r.readiness:.0f}/100[/bold] (mean latest score)."
    )
    t = Table(title="By category", title_justify="left")
    for col, just in [("Category", "left"), ("Answers", "right"), ("Questions", "right"),
                      ("Mean", "right"), ("Best", "right"), ("Latest", "right"),
                      ("Trend", "right"), ("", "left")]:  # fmt: skip
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for c in r.categories:
        t.add_row(c.name, str(c.attempts), f"{c.questions}/{c.bank_questions}", f"{c.mean:.0f}",
                  f"{c.best:.0f}", f"{c.latest:.0f}", f"{c.trend:+.0f}",
                  sparkline([s for _, s in c.series][-20:]))  # fmt: skip
    con.print(t)
    if r.weakest:
        con.print("[bold]Weakest questions[/bold]")
        for w in r.weakest:
            con.print(f"  {w['latest']:>5.0f}  {w['question_id']:>5}  {w['question']}")
            for note in w.get("notes", []):
                con.print(f"{'':>16}[dim]{note}[/dim]")
    if r.delivery:
        figures = ", ".join(f"{k} {v:g}" for k, v in r.delivery.items())
        con.print(f"[bold]Delivery[/bold] (means): {figures}")
    if r.models:
        con.print("[dim]Models: " + ", ".join(f"{m['name']} ({m['sha256'][:12]})" for m in r.models)
                  + "[/dim]")  # fmt: skip
    return con.export_text()


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;
max-width:70rem;color:#1d232b;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .3rem} h2{font-size:1.2rem;margin:2rem 0 .6rem}
.summary{color:#4a5563}
table{border-collapse:collapse;width:100%}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e3e7ec;text-align:right}
th:first-child,td:first-child{text-align:left}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(21rem,1fr));gap:1rem}
.chart{border:1px solid #e3e7ec;border-radius:6px;padding:.5rem}
.chart h3{font-size:.9rem;margin:0 0 .3rem}
.attempt{border:1px solid #e3e7ec;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.attempt h3{font-size:1rem;margin:0 0 .5rem}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.cols h4{margin:.2rem 0;font-size:.85rem;color:#4a5563;text-transform:uppercase;
letter-spacing:.03em}
mark{background:#fff1a8;padding:0 .1em}
.kp{margin:.15rem 0} .kp.covered::before{content:'✓ ';color:#1a7f37}
.kp.missed::before{content:'✗ ';color:#c62828} .kp.missed{color:#6b2222}
.kp.partly::before{content:'~ ';color:#9a6700}
.score{font-weight:600} .good{color:#1a7f37} .mid{color:#9a6700} .low{color:#c62828}
.muted{color:#6b7684;font-size:.85rem}
.note{color:#8a5300;font-size:.9rem;margin:.2rem 0}
"""


def _cls(score: float) -> str:
    return "good" if score >= 70 else "mid" if score >= 40 else "low"


def _bars(cats: Sequence[CategoryStats]) -> str:
    row, label_w, bar_w = 26, 380, 340
    h = row * len(cats) + 10
    parts = [f'<svg role="img" aria-label="Mean score by category" width="{label_w + bar_w + 60}" '
             f'height="{h}" viewBox="0 0 {label_w + bar_w + 60} {h}">']  # fmt: skip
    for i, c in enumerate(cats):
        y = 5 + i * row
        w = bar_w * c.mean / 100
        colour = {"good": "#2da44e", "mid": "#d4a72c", "low": "#e5534b"}[_cls(c.mean)]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{html.escape(c.name)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="18" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="18" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{c.mean:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _line(c: CategoryStats) -> str:
    w, h, pad = 320, 120, 24
    ys = [s for _, s in c.series]
    n = len(ys)

    def x(i: int) -> float:
        return pad + (w - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(s: float) -> float:
        return h - pad - (h - 2 * pad) * s / 100

    pts = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in enumerate(ys))
    dots = "".join(f'<circle cx="{x(i):.1f}" cy="{y(s):.1f}" r="3" fill="#0969da"/>'
                   for i, s in enumerate(ys))  # fmt: skip
    grid = "".join(
        f'<line x1="{pad}" x2="{w - pad}" y1="{y(g):.1f}" y2="{y(g):.1f}" stroke="#e3e7ec"/>'
        f'<text x="{pad - 4}" y="{y(g) + 4:.1f}" font-size="10" text-anchor="end">{g}</text>'
        for g in (0, 50, 100)
    )
    return (
        f'<svg role="img" aria-label="{html.escape(c.name)} scores over time" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}">{grid}'
        f'<polyline points="{pts}" fill="none" stroke="#0969da" stroke-width="2"/>{dots}</svg>'
    )


def _highlight(text: str, spans: Sequence[str]) -> str:
    """HTML-escape text, marking each matched span found in it."""
    marks: list[tuple[int, int]] = []
    for s in spans:
        if not s:
            continue
        i = text.find(s)
        if i >= 0:
            marks.append((i, i + len(s)))
    marks.sort()
    out, pos = [], 0
    for a, b in marks:
        a = max(a, pos)
        if a >= b:
            continue
        out.append(html.escape(text[pos:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render_html(r: Report) -> str:
    """One self-contained HTML page (inline CSS and SVG, no script, no external loads)."""
    # long: one HTML template, read top to bottom like the page
    e = html.escape
    rows = "".join(
        f'<tr data-category="{e(c.name)}" data-attempts="{c.attempts}" data-mean="{c.mean}" '
        f'data-best="{c.best}" data-latest="{c.latest}" data-trend="{c.trend}">'
        f"<td>{e(c.name)}</td><td>{c.attempts}</td><td>{c.questions}/{c.bank_questions}</td>"
        f'<td class="score {_cls(c.mean)}">{c.mean:.1f}</td><td>{c.best:.1f}</td>'
        f"<td>{c.latest:.1f}</td><td>{c.trend:+.1f}</td></tr>"
        for c in r.categories
    )
    charts = "".join(
        f'<div class="chart"><h3>{e(c.name)}</h3>{_line(c)}</div>' for c in r.categories
    )
    weak = "".join(
        f"<tr><td>{e(w['question_id'])} {e(w['question'])}</td><td>{e(w['category'])}</td>"
        f'<td class="score {_cls(w["latest"])}">{w["latest"]:.0f}</td></tr>'
        for w in r.weakest
    )
    attempts = []
    for a in reversed(r.items):
        kps = "".join(
            f'<p class="kp {_kp_class(k)}">{e(str(k.get("text")))}'
            + f' <span class="muted">({_kp_strength(k):.2f})</span>'
            + "</p>"
            for k in a.key_points
        )
        spans = [str(k.get("match", "")) for k in a.key_points if _kp_class(k) != "missed"]
        attempts.append(
            f'<section class="attempt" id="attempt-{a.id}" data-attempt="{a.id}">'
            f"<h3>{e(a.question_id)} · {e(a.question)} "
            f'<span class="score {_cls(a.score)}">{a.score:.0f}/100</span></h3>'
            f'<p class="muted">{e(a.category)} · {e(a.graded_at)}'
            + (f" · {a.duration:.0f} s" if a.duration else "")
            + "</p>"
            + "".join(f'<p class="note">{e(n)}</p>' for n in a.notes)
            + f'<div class="cols"><div><h4>Your answer</h4><p>{_highlight(a.transcript, spans)}</p>'
            f"</div><div><h4>Model answer: key points</h4>{kps}</div></div></section>"
        )
    delivery = ""
    if r.delivery:
        delivery = (
            "<h2>Delivery</h2><p>"
            + ", ".join(f"{e(k)}: {v:g}" for k, v in r.delivery.items())
            + "</p>"
        )
    models = ", ".join(f"{e(m['name'])} ({e(m['sha256'][:12])})" for m in r.models)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>mockint report: {e(r.bank)}</title><style>{_CSS}</style></head>
<body>
<h1>Interview practice report</h1>
<p class="summary" id="summary" data-readiness="{r.readiness}" data-attempts="{r.attempts}">
Bank <b>{e(r.bank)}</b>: {r.attempts} answers to {r.practised} of {r.bank_questions} questions,
{e(r.first_at[:10])} to {e(r.last_at[:10])}. Readiness
<b class="{_cls(r.readiness)}">{r.readiness:.0f}/100</b> (mean of each question's latest score).</p>
<h2>By category</h2>
{_bars(r.categories)}
<table id="categories"><thead><tr><th>Category</th><th>Answers</th><th>Questions</th><th>Mean</th>
<th>Best</th><th>Latest</th><th>Trend</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Scores over time</h2><div class="charts">{charts}</div>
<h2>Weakest questions</h2><table><tbody>{weak}</tbody></table>
{delivery}
<h2>Answers</h2>{"".join(attempts)}
<p class="muted">Models: {models}</p>
</body></html>
"""


RENDERERS = {"text": render_text, "html": render_html, "json": render_json, "csv": render_csv}


def _kp_strength(k: dict[str, Any]) -> float:
    return float(k.get("strength", k.get("similarity", 0)))


def _kp_class(k: dict[str, Any]) -> str:
    """The CSS class of a key point: covered, partly or missed."""
    status = str(k.get("status", "missed"))
    return {"partly covered": "partly"}.get(status, status)
