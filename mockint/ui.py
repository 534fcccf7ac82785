"""The screen and the keys: the practice screen (rich), single-key input, and the
one printer of a graded answer that practice, ``grade`` and ``review`` share."""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import threading
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mockint.bank import Question
from mockint.grading.assess import Assessment
from mockint.grading.delivery import describe as describe_delivery
from mockint.rehearsal.practice import Action, CategorySummary, Choice, Listening
from mockint.reports.report import Missed
from mockint.terminal import printable
from mockint.transcript import Word, corrections, described, marked, words_if_corrected


class Keys:
    """Single keys from stdin: cbreak mode on a terminal, lines from a pipe.

    From a pipe each line is one key (an empty line is Enter); at end of input
    no more keys come and :meth:`wait` answers Enter, so a session can run
    unattended.
    """

    def __init__(self) -> None:
        self._tty = sys.stdin.isatty()
        self._saved: Any = None
        self._q: queue.Queue[str | None] = queue.Queue()
        self._closed = False
        if self._tty:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        else:
            threading.Thread(target=self._lines, daemon=True).start()

    def _lines(self) -> None:
        for line in sys.stdin:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    @staticmethod
    def _key(line: str) -> str:
        s = line.strip().lower()
        return s[:1] if s else "enter"

    @property
    def interactive(self) -> bool:
        """Keys come from a terminal (else lines from a pipe)."""
        return self._tty

    def line(self) -> str | None:
        """The next whole input line from a pipe (None at its end)."""
        if self._closed:
            return None
        raw = self._q.get()
        if raw is None:
            self._closed = True
        return raw

    def reopen(self) -> None:
        """Back to single keys after a program (the editor) had the terminal."""
        if self._tty and self._saved is None:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)

    def close(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    @staticmethod
    def _name(ch: str) -> str:
        return "enter" if ch in ("\n", "\r") else ch.lower()

    def poll(self) -> str | None:
        """A key pressed since the last call, or None."""
        if self._tty:
            if select.select([sys.stdin], [], [], 0)[0]:
                return self._name(os.read(sys.stdin.fileno(), 1).decode(errors="ignore"))
            return None
        try:
            raw = self._q.get_nowait()
        except queue.Empty:
            return None
        if raw is None:
            self._closed = True
            return None
        return self._key(raw)

    def wait(self) -> str:
        """Block for the next key (Enter once input has ended)."""
        if self._tty:
            return self._name(os.read(sys.stdin.fileno(), 1).decode(errors="ignore"))
        if self._closed:
            return "enter"
        raw = self._q.get()
        if raw is None:
            self._closed = True
            return "enter"
        return self._key(raw)


# --- a graded answer, as lines -----------------------------------------------------------------

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
    out.append((f"Score: {score:.0f}/100{state}", f"bold {_score_style(score)}"))
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


def shown(text: str, style: str = "") -> Text:
    """Text from a bank, the store or the user, for rich: never read as markup (a model
    answer's ``[/b]`` or ``list[str]`` prints as it is), control characters made visible."""
    return Text(printable(text), style=style)


def _meter(level_db: float, width: int = 30) -> Text:
    frac = min(1.0, max(0.0, (level_db + 60) / 60))
    n = int(frac * width)
    colour = "green" if level_db < -6 else "red"
    return Text("█" * n, style=colour) + Text("░" * (width - n), style="dim")


def _score_style(score: float) -> str:
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"


_ACTIONS: dict[str, Action] = {"enter": "done", "s": "skip", "q": "quit", "h": "hint"}
_CHOICES: dict[str, Choice] = {
    "enter": "next",
    "n": "next",
    "r": "retry",
    "p": "repeat",
    "e": "edit",
    "u": "undo",
    "m": "model",
    "q": "quit",
}


def clock(seconds: float) -> str:
    """'1:05' from 65.2 seconds."""
    mins, secs = divmod(int(seconds), 60)
    return f"{mins}:{secs:02d}"


class ConsoleUI:
    """The practice loop's screen (implements ``practice.PracticeUI``)."""

    def __init__(self, console: Console | None = None, keys: Keys | None = None):
        self.console = console or Console(highlight=False)
        self.keys = keys or Keys()
        self._live: Live | None = None
        self._corrected = 0  # words corrected in the result on screen

    def close(self) -> None:
        self._stop_live()
        self.keys.close()

    def _stop_live(self) -> None:
        if self._live is not None:
            with contextlib.suppress(Exception):
                self._live.stop()
            self._live = None

    def status(self, message: str) -> None:
        self.console.print(shown(message, "dim"))

    def question(self, q: Question, index: int, total: int) -> None:
        self._stop_live()
        self.console.print()
        self.console.print(
            Panel(
                shown(q.text, "bold"),
                title=shown(f"Question {index} of {total} · {q.id} · {q.category}"),
                title_align="left",
            )
        )

    def listening(self, s: Listening) -> None:
        timer = Text(
            f"{clock(s.elapsed)} · {clock(s.remaining + 0.999)} left",
            style="bold red" if s.warn else "bold",
        )
        state = Text(
            "● speaking" if s.speaking else "○ listening", style="green" if s.speaking else "dim"
        )
        line = Text.assemble(state, "  ", _meter(s.level_db), "  ", timer)
        parts: list[Any] = [line]
        if s.warn:
            parts.append(Text("Time is running out: wrap up your answer.", style="red"))
        if s.partial:
            parts.append(shown(s.partial[-300:], "dim italic"))
        if s.hint:
            parts.append(shown(f"Hint: {s.hint}", "cyan"))
        keys = (
            "Enter: done · s: skip · q: quit"
            if s.live
            else "Enter: done · h: hint · s: skip · q: quit"
        )
        parts.append(Text(keys, style="dim"))
        view = Group(*parts)
        if self._live is None:
            self._live = Live(view, console=self.console, refresh_per_second=10, transient=True)
            self._live.start()
        else:
            self._live.update(view)

    def transcribing(self) -> None:
        self._stop_live()

    def result(self, a: Assessment, attempt_id: int) -> None:
        self._stop_live()
        for text, style in assessment_lines(a, title=False):
            self.console.print(shown(text, style))
        self._corrected = len(a.corrections)
        self.console.print(Text(f"Saved as attempt {attempt_id}.", style="dim"))

    def taken(self, attempt_id: int, seconds: float) -> None:
        self._stop_live()
        self.console.print(
            Text(
                f"Answer kept ({clock(seconds)}, attempt {attempt_id}); scores come at the end.",
                style="dim",
            )
        )

    def model_answer(self, q: Question) -> None:
        self._stop_live()
        self.console.print(
            Panel(shown(q.model_answer), title="Model answer · any key: stop", title_align="left")
        )

    def interrupted(self) -> bool:
        return self.keys.poll() is not None

    def mic_check_start(self, sentence: str, seconds: float) -> None:
        self._stop_live()
        self.console.print(
            Panel(
                Text(f'Say: "{sentence}"', style="bold"),
                title=f"Microphone check ({seconds:.0f} s) · s: skip",
                title_align="left",
            )
        )

    def mic_level(self, elapsed: float, level_db: float) -> bool:
        view = Text.assemble(_meter(level_db), f"  {level_db:5.0f} dBFS  {clock(elapsed)}")
        if self._live is None:
            self._live = Live(view, console=self.console, refresh_per_second=10, transient=True)
            self._live.start()
        else:
            self._live.update(view)
        return self.keys.poll() == "s"

    def mic_check_result(self, c: Any) -> None:
        self._stop_live()
        self.console.print(shown(f'Heard: "{c.heard}"' if c.heard else "Heard: nothing"))
        self.console.print(Text(c.figures(), style="dim"))
        self.console.print(
            Text(
                ("✓ " if c.passed else "✗ ") + c.line,
                style="bold green" if c.passed else "bold red",
            )
        )

    def action(self) -> Action | None:
        k = self.keys.poll()
        return _ACTIONS.get(k) if k else None

    def choose(self) -> Choice:
        self.console.print(
            "[dim]Enter: next · r: retry · p: hear the question again · "
            "m: model answer · e: correct the transcript · "
            + ("u: undo corrections · " if self._corrected else "")
            + "q: quit[/dim]"
        )
        while True:
            k = self.keys.wait()
            choice = _CHOICES.get(k)
            if choice:
                return choice

    def undo(self, changed: Sequence[tuple[int, str, str]]) -> list[int]:
        """Which corrections to undo (by number): the one there is, else one by its number
        key or all with ``a`` (any other key: none)."""
        n = len(changed)
        if n > 1:
            self.console.print(Text(f"Undo which? 1-{min(n, 9)}: that one · a: all", "dim"))
        k = self.keys.wait() if n > 1 else "a"
        return (
            list(range(1, n + 1)) if k == "a" else [int(k)] if k in tuple("123456789"[:n]) else []
        )

    def edit(self, text: str) -> str | None:
        """The corrected transcript: in $EDITOR at a terminal, else the next input line."""
        self._stop_live()
        if not self.keys.interactive:
            self.console.print("[dim]Type the corrected transcript and press Enter:[/dim]")
            return self.keys.line()
        import click

        self.keys.close()
        try:
            return click.edit(text, require_save=True)
        finally:
            self.keys.reopen()

    def summary(
        self,
        rows: list[CategorySummary],
        missed: Sequence[Missed] = (),
        answers: Sequence[Any] = (),
    ) -> None:
        self._stop_live()
        if not rows:
            self.console.print("\nNo answers graded this session.")
            return
        if answers:
            self.console.print()
            self.console.print(Text("Your answers:", style="bold"))
            for a in answers:
                covered = sum(k.get("status") == "covered" for k in a.key_points)
                self.console.print(
                    Text.assemble(
                        printable(f"  a{a.id}  {a.question_id:<6} "),
                        (f"{a.score:>3.0f}/100", _score_style(a.score)),
                        printable(
                            f"  {covered} of {len(a.key_points)} key points"
                            + (f"  · {a.notes[0]}" if a.notes else "")
                        ),
                    )
                )
        t = Table(title="This session", title_justify="left")
        t.add_column("Category")
        t.add_column("Answers", justify="right")
        t.add_column("Mean", justify="right")
        t.add_column("Best", justify="right")
        for r in rows:
            t.add_row(shown(r.category), str(r.attempts), f"{r.mean:.0f}", f"{r.best:.0f}")
        self.console.print()
        self.console.print(t)
        current = None
        for i, m in enumerate(missed):
            if i == 0:
                self.console.print(Text("What to study next (key points missed):", style="bold"))
            if m.question_id != current:
                current = m.question_id
                self.console.print(shown(f"  {m.question_id}  {m.question}"))
            self.console.print(shown(f"    - {m.text}", "dim"))
