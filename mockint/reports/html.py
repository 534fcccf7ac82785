"""The score report as one self-contained HTML page.

Inline CSS and SVG, no script, nothing loaded from the network: the only loads are
the recordings, by relative links from where the page is written (the data
directory by default) or embedded in the page (``--embed-audio``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from mockint.grading.delivery import describe as describe_delivery
from mockint.reports.lines import plural
from mockint.reports.report import AttemptView, CategoryStats, Report, by_question

# an attempt's recording's URL (None: no player)
Audio = Callable[[AttemptView], "str | None"]

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
.corrected{text-decoration:underline dotted #9a6700;text-underline-offset:.2em}
.heard{color:#8a5300;font-size:.85em}
.kp{margin:.15rem 0} .kp.covered::before{content:'✓ ';color:#1a7f37}
.kp.missed::before{content:'✗ ';color:#c62828} .kp.missed{color:#6b2222}
.kp.partly::before{content:'~ ';color:#9a6700}
.score{font-weight:600} .good{color:#1a7f37} .mid{color:#9a6700} .low{color:#c62828}
.muted{color:#6b7684;font-size:.85rem}
.note{color:#8a5300;font-size:.9rem;margin:.2rem 0}
details.earlier{margin:.3rem 0 1.2rem 1rem} details.earlier summary{cursor:pointer;color:#4a5563}
audio{width:100%;margin:.3rem 0}
ul.plain{list-style:none;padding-left:0} .up{color:#1a7f37} .down{color:#c62828}
"""


def score_class(score: float) -> str:
    """The CSS class of a score: good, mid or low."""
    return "good" if score >= 70 else "mid" if score >= 40 else "low"


def _bars(cats: Sequence[CategoryStats]) -> str:
    row, label_w, bar_w = 26, 380, 340
    h = row * len(cats) + 10
    parts = [
        f'<svg role="img" aria-label="Mean score by category" width="{label_w + bar_w + 60}" '
        f'height="{h}" viewBox="0 0 {label_w + bar_w + 60} {h}">'
    ]
    for i, c in enumerate(cats):
        y = 5 + i * row
        w = bar_w * c.mean / 100
        colour = {"good": "#2da44e", "mid": "#d4a72c", "low": "#e5534b"}[score_class(c.mean)]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{html.escape(c.name)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="18" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="18" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{c.mean:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# the most points a chart draws (it is 320 px wide): past that, each is the mean of a run
# of consecutive answers, so a million answers make a chart of a few kilobytes
CHART_POINTS = 240


def thinned(ys: Sequence[float], most: int = CHART_POINTS) -> Sequence[float]:
    """``ys`` as at most ``most`` values: each the mean of an equal run of them, in order."""
    n = len(ys)
    if n <= most:
        return ys
    cuts = [i * n // most for i in range(most + 1)]
    return [sum(ys[a:b]) / (b - a) for a, b in zip(cuts, cuts[1:], strict=False)]


def _line(name: str, ys: Sequence[float], top: float = 100.0, unit: str = "") -> str:
    """A small SVG line chart of values over time (0 to ``top``), at most CHART_POINTS."""
    w, h, pad = 320, 120, 28
    ys = thinned(ys)
    n = len(ys)
    top = max(top, max(ys, default=0.0)) or 1.0
    marks = (0, round(top / 2, 1), round(top, 1))
    # the y labels end 4 px left of the plot: leave room for the longest (a digit of a
    # 10 px font is at most 0.6 em wide), or "208.6" shows as ":08.6"
    left = max(pad, 4 + 2 + 6 * max(len(f"{g:g}") for g in marks))

    def x(i: int) -> float:
        return left + (w - left - pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(s: float) -> float:
        return h - pad - (h - 2 * pad) * s / top

    pts = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in enumerate(ys))
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(s):.1f}" r="3" fill="#0969da"/>' for i, s in enumerate(ys)
    )
    grid = "".join(
        f'<line x1="{left}" x2="{w - pad}" y1="{y(g):.1f}" y2="{y(g):.1f}" stroke="#e3e7ec"/>'
        f'<text x="{left - 4}" y="{y(g) + 4:.1f}" font-size="10" text-anchor="end">{g:g}</text>'
        for g in marks
    )
    return (
        f'<svg role="img" aria-label="{html.escape(name)} over time{unit}" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}">{grid}'
        f'<polyline points="{pts}" fill="none" stroke="#0969da" stroke-width="2"/>{dots}</svg>'
    )


def _marked(text: str, spans: Sequence[str], corrected: Sequence[dict[str, Any]]) -> str:
    """:func:`_highlight`, with each corrected word (``at`` its offset in the text) marked
    with what was heard."""
    if not corrected:
        return highlighted(text, spans)
    found = [(i, i + len(x)) for x in spans if x and (i := text.find(x)) >= 0]
    words = [(int(c["at"]), int(c["at"]) + len(c["shown"]), str(c["heard"])) for c in corrected]
    cuts = sorted(
        {0, len(text), *(x for m in found for x in m), *(x for w in words for x in w[:2])}
    )
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[a:b])
        for start, end, heard in words:
            if start <= a and b <= end:
                h = html.escape(heard)
                piece = (
                    f'<span class="corrected" title="heard: {h}" data-heard="{h}">{piece}</span>'
                )
        if any(m <= a and b <= n for m, n in found):
            piece = f"<mark>{piece}</mark>"
        out.append(piece)
        out += [
            f'<span class="heard"> (heard: {html.escape(w[2])})</span>' for w in words if w[1] == b
        ]
    return "".join(out)


def highlighted(text: str, spans: Sequence[str]) -> str:
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


def _signed(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def _categories(r: Report) -> str:
    e = html.escape
    rows = "".join(
        f'<tr data-category="{e(c.name)}" data-attempts="{c.attempts}" data-mean="{c.mean}" '
        f'data-best="{c.best}" data-latest="{c.latest}" '
        f'data-trend="{"" if c.trend is None else c.trend}">'
        f"<td>{e(c.name)}</td><td>{c.attempts}</td><td>{c.questions}/{c.bank_questions}</td>"
        f'<td class="score {score_class(c.mean)}">{c.mean:.1f}</td><td>{c.best:.1f}</td>'
        f"<td>{c.latest:.1f}</td><td>{_signed(c.trend)}</td></tr>"
        for c in r.categories
    )
    return (
        f'{_bars(r.categories)}<table id="categories"><thead><tr><th>Category</th>'
        "<th>Answers</th><th>Questions</th><th>Mean</th><th>Best</th><th>Latest</th>"
        "<th>Progress</th></tr></thead><tbody>" + rows + "</tbody></table>"
        '<p class="muted">Progress: the mean change from first to latest score over the '
        "category's questions answered more than once (n/a: none yet).</p>"
    )


def _progress(r: Report) -> str:
    if not r.progress:
        return '<p class="muted">No question answered twice yet.</p>'
    e = html.escape
    rows = "".join(
        f'<tr data-question="{e(p.question_id)}" data-attempts="{p.attempts}" '
        f'data-first="{p.first}" data-best="{p.best}" data-latest="{p.latest}" '
        f'data-change="{p.change}"><td>{e(p.question_id)} {e(p.question)}</td>'
        f"<td>{p.attempts}</td><td>{p.first:.0f}</td><td>{p.best:.0f}</td><td>{p.latest:.0f}</td>"
        f'<td class="{"up" if p.change > 0 else "down" if p.change < 0 else ""}">'
        f"{p.change:+.0f}</td></tr>"
        for p in r.progress
    )
    return (
        '<table id="progress"><thead><tr><th>Question</th><th>Answers</th><th>First</th>'
        "<th>Best</th><th>Latest</th><th>Change</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _delivery(r: Report) -> str:
    if not r.delivery:
        return ""
    e = html.escape
    lines = "".join(f"<li>{e(x)}</li>" for x in describe_delivery(r.delivery))
    shown = (("Pace (words/min)", "wpm", 200.0), ("Fillers per minute", "fillers_per_minute", 5.0))
    over_time: list[list[float]] = [[] for _ in shown]  # one walk, only the figures kept
    for a in r.items:
        if a.delivery:
            for ys, (_, key, _) in zip(over_time, shown, strict=True):
                ys.append(float(a.delivery.get(key, 0)))
    charts = "".join(
        f'<div class="chart"><h3>{title}</h3>{_line(title, ys, top)}</div>'
        for ys, (title, _, top) in zip(over_time, shown, strict=True)
    )
    return (
        f'<h2>Delivery</h2><p class="muted">Means over {len(over_time[0])} spoken answers</p>'
        f'<ul class="plain" id="delivery">{lines}</ul>'
        f'<div class="charts">{charts}</div>'
    )


def _study(r: Report) -> str:
    if not r.missed:
        return ""
    e = html.escape
    out, current = ['<h2>What to study next</h2><ul class="plain" id="missed">'], None
    for m in r.missed:
        if m.question_id != current:
            current = m.question_id
            out.append(f"<li><b>{e(m.question_id)}</b> {e(m.question)}</li>")
        out.append(
            f'<li>&nbsp;&nbsp;✗ {e(m.text)} <span class="muted">(missed in {m.missed} '
            f"of {m.answers})</span></li>"
        )
    return "".join(out) + "</ul>"


def _attempt(a: AttemptView, audio: Audio) -> str:
    e = html.escape
    kps = "".join(
        f'<p class="kp {key_point_class(k)}">{e(str(k.get("text")))}'
        f' <span class="muted">({float(k.get("strength", k.get("similarity", 0))):.2f})</span></p>'
        for k in a.key_points
    )
    spans = [str(k.get("match", "")) for k in a.key_points if key_point_class(k) != "missed"]
    url = audio(a)
    player = f'<audio controls preload="metadata" src="{e(url)}"></audio>' if url else ""
    said = "".join(f"<li>{e(x)}</li>" for x in describe_delivery(a.delivery)) if a.delivery else ""
    return (
        f'<section class="attempt" id="attempt-{a.id}" data-attempt="{a.id}">'
        f"<h3>{e(a.question_id)} · {e(a.question)} "
        f'<span class="score {score_class(a.score)}">{a.score:.0f}/100</span></h3>'
        f'<p class="muted">{e(a.category)} · {e(a.graded_at)}'
        + (f" · {a.duration:.0f} s" if a.duration else "")
        + "</p>"
        + "".join(f'<p class="note">{e(n)}</p>' for n in a.notes)
        + (
            f'<p class="note">Graded on your corrected transcript; heard: '
            f"&ldquo;{e(a.heard)}&rdquo;</p>"
            if a.heard is not None
            else ""
        )
        + player
        + (f'<ul class="plain muted">{said}</ul>' if said else "")
        + _corrected_note(a)
        + '<div class="cols"><div><h4>Your answer</h4>'
        + f"<p>{_marked(a.transcript, spans, a.corrections)}</p>"
        f"</div><div><h4>Model answer: key points</h4>{kps}</div></div></section>"
    )


def _corrected_note(a: AttemptView) -> str:
    """How many words a correction changed, and how to undo it."""
    n = len(a.corrections)
    if not n:
        return ""
    return (
        f'<p class="note corrections" data-corrected="{n}">{n} word{"s" if n != 1 else ""} '
        f"corrected (undo: <code>mockint review a{a.id} --edit --undo all</code>)</p>"
    )


def _answers(r: Report, audio: Audio) -> Iterator[str]:
    """Per question, most recently answered first: the latest answer open, earlier folded."""
    for n, answers in by_question(r.items):
        latest = next(answers, None)
        if latest is None:  # the store changed under the report
            continue
        yield _attempt(latest, audio)
        if n > 1:
            yield (
                f'<details class="earlier"><summary>{n - 1} earlier answer'
                f"{'s' if n > 2 else ''} to {html.escape(latest.question_id)}</summary>"
            )
            for a in answers:
                yield _attempt(a, audio)
            yield "</details>"


def render_html(r: Report, audio: Mapping[int, str] | Audio | None = None) -> str:
    """One self-contained HTML page; ``audio`` maps attempt ids to their recordings' URLs
    (or gives an attempt's)."""
    return "".join(html_parts(r, audio))


def write_html(r: Report, out: TextIO, audio: Mapping[int, str] | Audio | None = None) -> None:
    """Write the page, its answers as they are read (see :func:`render_html`)."""
    for part in html_parts(r, audio):
        out.write(part)


def html_parts(r: Report, audio: Mapping[int, str] | Audio | None = None) -> Iterator[str]:
    """The page in parts, its answers as they are read (to write or send as they come)."""
    if audio is None or isinstance(audio, Mapping):
        urls = audio or {}
        audio = lambda a: urls.get(a.id)  # noqa: E731
    e = html.escape
    charts = "".join(
        f'<div class="chart"><h3>{e(c.name)}</h3>{_line(c.name, [s for _, s in c.series])}</div>'
        for c in r.categories
    )
    weak = "".join(
        f"<tr><td>{e(w['question_id'])} {e(w['question'])}</td><td>{e(w['category'])}</td>"
        f'<td class="score {score_class(w["latest"])}">{w["latest"]:.0f}</td></tr>'
        for w in r.weakest
    )
    models = ", ".join(f"{e(m['name'])} ({e(m['sha256'][:12])})" for m in r.models)
    yield f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>mockint report: {e(r.bank)}</title><style>{_CSS}</style></head>
<body>
<h1>Interview practice report</h1>
<p class="summary" id="summary" data-readiness="{r.readiness}" data-attempts="{r.attempts}">
Bank <b>{e(r.bank)}</b>: {plural(r.attempts, "answer")} to {r.practised} of
{r.bank_questions} questions,
{e(r.first_at[:10])} to {e(r.last_at[:10])}. Readiness
<b class="{score_class(r.readiness)}">{r.readiness:.0f}/100</b>
(mean of each question's latest score).</p>
<h2>By category</h2>{_categories(r)}
<h2>Progress by question</h2>{_progress(r)}
<h2>Scores over time</h2><div class="charts">{charts}</div>
<h2>Weakest questions</h2><table><tbody>{weak}</tbody></table>
{_study(r)}{_delivery(r)}
<h2>Answers</h2>"""
    yield from _answers(r, audio)
    yield f"""
<p class="muted">Models: {models}</p>
</body></html>
"""


def key_point_class(k: dict[str, Any]) -> str:
    """The CSS class of a key point: covered, partly or missed."""
    status = str(k.get("status", "missed"))
    return {"partly covered": "partly"}.get(status, status)
