"""A graded answer as lines of text (each with a rich style): the one printer that the
practice screen, ``grade`` and ``review`` share, and its plain-text form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockint.bank import Question
from mockint.grading.assess import Assessment
from mockint.grading.delivery import describe as describe_delivery
from mockint.terminal import printable
from mockint.transcript import Word, corrections, described, marked, words_if_corrected

Line = tuple[str, str]  # text, rich style ("" for none)

MARKS = {"covered": "+", "partly covered": "~", "missed": "-"}
_GROUPS = (("covered", "Covered"), ("partly covered", "Partly covered"), ("missed", "Missed"))


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 long pause', '2 long pauses'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def graded_lines(
    transcript: str,
    score: float,
    key_points: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
    question: str | None = None,
    status: str | None = None,
    notes: Sequence[str] = (),
    delivery: dict[str, Any] | None = None,
    recording: str | None = None,
    star: dict[str, str] | None = None,
    words: Sequence[Word] = (),
    undo: str = "",
) -> list[Line]:
    """A graded answer as lines: what was said (each corrected word marked with what was
    heard, and how to ``undo`` it), the score and why, each key point, delivery."""
    out: list[Line] = []
    if title:
        out.append((title, "bold"))
    if question:
        out.append((question, ""))
    if out:
        out.append(("", ""))
    shown = marked(transcript, words)
    out += [("Your answer:", "bold"), (f"  {shown or '(nothing was said)'}", "")]
    out += correction_lines(corrections(transcript, words), undo)
    out.append(("", ""))
    state = f" ({status})" if status and status != "complete" else ""
    out.append((f"Score: {score:.0f}/100{state}", f"bold {score_style(score)}"))
    out += [(f"  · {n}", "dim") for n in notes]
    for status_name, heading in _GROUPS:
        points = [k for k in key_points if k.get("status", "missed") == status_name]
        if not points:
            continue
        out.append((f"{heading} ({len(points)}):", "bold"))
        for k in points:
            out.append((f"  {MARKS[status_name]} {k.get('text', '')}", ""))
            if status_name != "missed" and k.get("match"):
                out.append((f'      you said: "{k["match"]}"', "dim"))
    if star:
        out += [("", ""), ("STAR (behavioural question; informs, not graded):", "bold")]
        for part in ("situation", "task", "action", "result", "measured"):
            span = star.get(part, "")
            name = "measured result" if part == "measured" else part
            said = f': "{span[:110]}{"…" if len(span) > 110 else ""}"' if span else ": not heard"
            out.append((f"  {'+' if span else '-'} {name}{said}", "" if span else "dim"))
    if delivery:
        out += [("", ""), ("Delivery:", "bold")]
        out += [(f"  {line}", "") for line in describe_delivery(delivery)]
        out += [(f"  · {f}", "dim") for f in delivery.get("flags", [])]
    if recording:
        out += [("", ""), (f"Recording: {recording}", "dim")]
    return out


def correction_lines(changed: Sequence[tuple[int, str, str]], undo: str = "") -> list[Line]:
    """How many words a correction changed, each numbered (the number undoes it)."""
    return [(f"  {x}", "dim") for x in (described(changed), undo) if x and changed]


def assessment_lines(a: Assessment, title: bool = True) -> list[Line]:
    """The lines of a fresh assessment (``grade``, the practice result)."""
    q = a.question
    return graded_lines(
        a.transcript.text,
        a.grade.score,
        [k.to_dict() for k in a.grade.key_points],
        title=f"{q.id} [{q.category}] {q.text}" if title else None,
        notes=a.notes,
        delivery=a.delivery.to_dict() if a.delivery else None,
        star=a.star.to_dict() if a.star else None,
        words=a.transcript.words,
    )


def attempt_lines(a: Any, question: Question | None) -> list[Line]:
    """The lines of a stored attempt (``review``)."""
    when = a.graded_at[:16].replace("T", " ")
    words = words_if_corrected(a.words or [])
    return graded_lines(
        a.transcript,
        a.score,
        a.key_points,
        title=f"a{a.id} · {a.question_id} [{a.category}] · {when}",
        question=question.text if question else None,
        status=a.status,
        notes=[
            *a.notes,
            *(
                [f"graded on your corrected transcript (heard: {a.heard})"]
                if a.heard is not None
                else []
            ),
        ],
        delivery=a.delivery,
        recording=a.audio_path,
        words=words,
        undo=f"undo: mockint review a{a.id} --edit --undo all (or --undo N for one)",
    )


def compare_lines(best: Any, latest: Any, width: int = 38) -> list[Line]:
    """Two stored attempts at one question side by side: each key point, delivery, transcripts."""
    left, right = f"best a{best.id} ({best.score:.0f})", f"latest a{latest.id} ({latest.score:.0f})"
    out: list[Line] = [(f"{'Key point':<{width}}  {left:<22}  {right}", "bold")]
    theirs = {str(k.get("text")): k.get("status", "missed") for k in latest.key_points}
    for k in best.key_points:
        text = str(k.get("text", ""))
        short = text if len(text) <= width else text[: width - 1] + "…"
        a, b = k.get("status", "missed"), theirs.get(text, "missed")
        out.append((f"{short:<{width}}  {MARKS[a]} {a:<20}  {MARKS[b]} {b}", ""))
    if best.delivery or latest.delivery:
        out += [("", ""), ("Delivery:", "bold")]
        lb = describe_delivery(best.delivery) if best.delivery else []
        rb = describe_delivery(latest.delivery) if latest.delivery else []
        for x, y in zip(lb or [""] * len(rb), rb or [""] * len(lb), strict=True):
            out.append((f"  {x:<{width + 22}}  {y}", ""))
    for title, a in ((left, best), (right, latest)):
        words = words_if_corrected(a.words or [])
        shown = marked(a.transcript, words)
        out += [("", ""), (f"Answer, {title}:", "bold"), (f"  {shown or '(nothing)'}", "")]
        out += correction_lines(corrections(a.transcript, words))
    return out


def plain(lines: Sequence[Line]) -> str:
    """Lines as plain text (for the command line's stdout), control characters made visible."""
    return "".join(printable(text) + "\n" for text, _ in lines)


def score_style(score: float) -> str:
    """The colour of a score: green, yellow or red."""
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"
