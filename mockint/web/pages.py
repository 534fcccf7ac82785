"""The app's pages as HTML strings (escaped here, in one place); no rule lives here.

Scores, key points, delivery words, STAR and the report's charts come from the
library (grading, reports, rehearsal.schedule); this module only lays them out.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mockint.bank import Question
from mockint.grading.delivery import describe as describe_delivery
from mockint.rehearsal.schedule import Due
from mockint.reports.html import highlighted, key_point_class, score_class
from mockint.storage.queries import Listed
from mockint.storage.store import Attempt

e = html.escape
STATIC = Path(__file__).resolve().parent / "static"

NAV = (
    ("/", "Home"),
    ("/practice", "Practise"),
    ("/sessions", "Sessions"),
    ("/report", "Report"),
    ("/due", "Due"),
    ("/banks", "Banks"),
)


@functools.cache
def style() -> str:
    """The shared style sheet, put inside each page: a page paints without waiting for a
    second request (it is 2 KB)."""
    return (STATIC / "style.css").read_text(encoding="utf-8").replace("</", "<\\/")


def page(title: str, body: str, script: str | None = None) -> str:
    """A whole page: the shared style, the navigation, and an optional ES module."""
    nav = "".join(f'<a href="{href}">{e(label)}</a>' for href, label in NAV)
    js = f'<script type="module" src="/static/{script}"></script>' if script else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · mockint</title><style>{style()}</style>"
        f'<link rel="icon" href="data:,">{js}</head><body><nav>{nav}</nav><main>'
        f"<h1>{e(title)}</h1>{body}</main></body></html>"
    )


def score(x: float) -> str:
    return f'<span class="score {score_class(x)}">{x:.0f}/100</span>'


def home(banks: Sequence[str], sessions: Sequence[dict[str, Any]], due_count: int) -> str:
    latest = sessions_table(sessions[:5]) if sessions else "<p>No sessions yet.</p>"
    return page(
        "mockint",
        '<p>Rehearse interviews aloud, then review your answers.</p><p class="actions">'
        '<a class="button" href="/practice">Start practising</a> '
        f'<a class="button quiet" href="/due">{due_count} question(s) due</a></p>'
        f"<h2>Latest sessions</h2>{latest}"
        f'<p class="muted">Banks: {e(", ".join(banks)) or "none"}</p>',
    )


def sessions_table(sessions: Iterable[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td><a href="/sessions/{s["id"]}">#{s["id"]}</a></td><td>{e(str(s["bank"]))}</td>'
        f"<td>{e(str(s.get('started_at') or '')[:16])}</td><td>{s['attempts']}</td>"
        f"<td>{'' if s['mean'] is None else score(float(s['mean']))}</td></tr>"
        for s in sessions
    )
    return (
        '<table id="sessions"><thead><tr><th>Session</th><th>Bank</th><th>Started</th>'
        f"<th>Answers</th><th>Mean</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def sessions(rows: Sequence[dict[str, Any]]) -> str:
    body = sessions_table(rows) if rows else "<p>No sessions yet: practise first.</p>"
    return page("Sessions", body)


def session(
    sid: int, attempts: Sequence[Listed], questions: dict[str, Question], total: int = 0
) -> str:
    """A session's answers, the first ``len(attempts)`` of ``total``."""
    rows = "".join(
        f'<tr><td><a href="/answers/{a.id}">{e(a.question_id)}</a></td>'
        f"<td>{e(questions[a.question_id].text if a.question_id in questions else '')}</td>"
        f"<td>{e(a.category)}</td><td>{e(a.mode)}</td><td>{score(a.score)}</td></tr>"
        for a in attempts
    )
    body = (
        '<table id="answers"><thead><tr><th>Question</th><th></th><th>Category</th>'
        f"<th>Mode</th><th>Score</th></tr></thead><tbody>{rows}</tbody></table>"
        if attempts
        else "<p>No answers in this session.</p>"
    )
    if total > len(attempts):
        body += (
            f"<p>The first {len(attempts):,} of {total:,} answers: "
            f"<code>mockint review {sid}</code> lists them all.</p>"
        )
    return page(f"Session #{sid}", body)


def words_html(a: Attempt) -> str:
    """The transcript, each word a button that plays the recording from its start; words
    inside a span that covered a key point are marked."""
    spans = [
        str(k.get("match", "")).casefold()
        for k in a.key_points
        if key_point_class(k) != "missed" and k.get("match")
    ]
    words = a.words if a.heard is None else []  # a corrected text no longer has word times
    if not words:
        return f'<p class="transcript">{highlighted(a.transcript, [s for s in _matches(a)])}</p>'
    text, starts = "", []
    for w in words:
        starts.append(len(text))
        text += str(w.get("text", "")).strip() + " "
    low = text.casefold()
    marked = [False] * len(words)
    for s in spans:
        i = low.find(s)
        if i < 0:
            continue
        for k, at in enumerate(starts):
            if i <= at < i + len(s):
                marked[k] = True
    out = []
    for w, m in zip(words, marked, strict=True):
        t = e(str(w.get("text", "")).strip())
        inner = f"<mark>{t}</mark>" if m else t
        out.append(f'<span class="w" data-t="{float(w.get("start", 0)):.2f}">{inner}</span>')
    return '<p class="transcript words">' + " ".join(out) + "</p>"


def _matches(a: Attempt) -> list[str]:
    return [str(k.get("match", "")) for k in a.key_points if key_point_class(k) != "missed"]


def key_points(points: Sequence[dict[str, Any]]) -> str:
    return "".join(
        f'<li class="kp {key_point_class(k)}" data-status="{e(str(k.get("status", "missed")))}">'
        f"{e(str(k.get('text', '')))}"
        + (
            f' <span class="muted">— “{e(str(k["match"]))}”</span>'
            if k.get("match") and key_point_class(k) != "missed"
            else ""
        )
        + "</li>"
        for k in points
    )


def star_html(star: dict[str, str] | None, note: str = "") -> str:
    if not star:
        return ""
    parts = "".join(
        f'<li class="{"covered" if star.get(p) else "missed"} kp"><b>{p.title()}</b> '
        f"{e(star.get(p) or '')}</li>"
        for p in ("situation", "task", "action", "result")
    )
    return f'<h3>STAR</h3><ul class="plain" id="star">{parts}</ul><p class="note">{e(note)}</p>'


def answer(a: Attempt, q: Question | None, star: dict[str, str] | None, others: str) -> str:
    """One stored answer: the player, the transcript beside the model answer, key points,
    score, delivery, STAR, and the other answers to the same question."""
    audio = (
        f'<audio id="player" controls preload="metadata" src="/audio/{a.id}"></audio>'
        '<p class="muted">Click a word to play the recording from there.</p>'
        if a.audio_path
        else '<p class="muted">No recording kept for this answer.</p>'
    )
    delivery = "".join(f"<li>{e(x)}</li>" for x in describe_delivery(a.delivery or {}))
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in a.notes if not n.startswith("STAR"))
    heard = (
        f'<p class="note">Graded on your corrected transcript; heard: “{e(a.heard)}”</p>'
        if a.heard is not None
        else ""
    )
    star_note = next((n for n in a.notes if n.startswith("STAR")), "")
    body = (
        f'<section class="attempt" data-attempt="{a.id}"><p class="question">'
        f"{e(q.text if q else a.question_id)}</p>"
        f'<p id="score">{score(a.score)} <span class="muted">{e(a.category)} · '
        f"{e(a.mode)} · {e(a.graded_at[:16])}</span></p>{notes}{heard}{audio}"
        f'<div class="cols"><div><h3>Your answer</h3><div id="transcript">{words_html(a)}'
        f"</div></div><div><h3>Model answer</h3><p>{e(q.model_answer if q else '')}</p></div>"
        f'</div><h3>Key points</h3><ul class="plain" id="key-points">'
        f"{key_points(a.key_points)}</ul>"
        + (
            f'<h3>Delivery</h3><ul class="plain" id="delivery">{delivery}</ul>'
            if a.delivery
            else ""
        )
        + star_html(star, star_note)
        + f"{others}</section>"
    )
    return page(f"Answer {a.question_id}", body, "review.js")


def others(a: Attempt, same: Sequence[Attempt]) -> str:
    """Best beside latest: the other answers to the same question."""
    if len(same) < 2:
        return ""
    best = max(same, key=lambda x: x.score)
    rows = "".join(
        f'<tr{" class=current" if x.id == a.id else ""}><td><a href="/answers/{x.id}">'
        f"#{x.id}</a></td><td>{e(x.graded_at[:16])}</td><td>{score(x.score)}</td>"
        f"<td>{'best' if x.id == best.id else ''}{' latest' if x is same[-1] else ''}</td></tr>"
        for x in reversed(same)
    )
    return f'<h3>All answers to this question</h3><table id="same"><tbody>{rows}</tbody></table>'


def due(bank: str, items: Sequence[Due], now: datetime) -> str:
    rows = "".join(
        f"<tr><td>{e(d.question.id)}</td><td>{e(d.question.text)}</td>"
        f"<td>{e(d.question.category)}</td><td>{d.box}</td>"
        f"<td>{'never' if d.last_score is None else score(d.last_score)}</td>"
        f"<td>{'now' if d.due_at is None else _days(d.overdue(now))}</td></tr>"
        for d in items
    )
    body = (
        f"<p>Bank <b>{e(bank)}</b>: {len(items)} question(s) due. "
        f'<a class="button" href="/practice?bank={e(bank)}&order=weakest">Practise them</a></p>'
        '<table id="due"><thead><tr><th>Id</th><th>Question</th><th>Category</th><th>Box</th>'
        f"<th>Last</th><th>Due</th></tr></thead><tbody>{rows}</tbody></table>"
        if items
        else f"<p>Nothing due in bank <b>{e(bank)}</b>.</p>"
    )
    return page("Due for review", body)


def _days(overdue: float) -> str:
    return "today" if overdue < 1 else f"{overdue:.0f} day(s) ago"


def banks(names: dict[str, str]) -> str:
    rows = "".join(
        f"<li><b>{e(n)}</b> <span class='muted'>{e(p)}</span></li>" for n, p in names.items()
    )
    return page(
        "Banks",
        f'<ul class="plain" id="banks">{rows}</ul><h2>Import a bank</h2>'
        '<form id="import"><input type="file" name="file" accept=".toml,.txt,.md" required> '
        '<input name="name" placeholder="name (optional)"> '
        '<label><input type="checkbox" name="replace"> replace</label> '
        '<button>Import</button></form><p id="import-result" role="status"></p>',
        "banks.js",
    )


def message(title: str, text: str) -> str:
    return page(title, f"<p>{e(text)}</p>")


def html_response(text: str, status: int = 200) -> Any:
    from starlette.responses import HTMLResponse

    return HTMLResponse(text, status, headers={"cache-control": "no-store"})
