"""The screen and the keys: the practice screen (rich) and single-key input. A graded
answer's lines come from :mod:`mockint.reports.lines`, as ``grade`` and ``review`` print them."""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mockint.bank import Question
from mockint.grading.assess import Assessment
from mockint.rehearsal.screen import Action, CategorySummary, Choice, Listening
from mockint.reports.lines import assessment_lines, score_style
from mockint.reports.report import Missed
from mockint.terminal import printable


def at_terminal() -> bool:
    """Standard input is a terminal: single keys, and $EDITOR for a transcript. Else it is
    read as lines (a pipe, a file), and no editor starts: one read them as keystrokes."""
    return sys.stdin is not None and sys.stdin.isatty()


def input_lines() -> Iterator[str]:
    """Standard input's lines, each without its line end (none when it is closed)."""
    for line in sys.stdin or ():
        yield line.rstrip("\n")


class Keys:
    """Single keys from stdin: cbreak mode on a terminal, lines from a pipe.

    From a pipe each line is one key (an empty line is Enter); at end of input
    no more keys come and :meth:`wait` answers Enter, so a session can run
    unattended.
    """

    def __init__(self) -> None:
        self._tty = at_terminal()
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
        for line in input_lines():
            self._q.put(line)
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


def shown(text: str, style: str = "") -> Text:
    """Text from a bank, the store or the user, for rich: never read as markup (a model
    answer's ``[/b]`` or ``list[str]`` prints as it is), control characters made visible."""
    return Text(printable(text), style=style)


def _meter(level_db: float, width: int = 30) -> Text:
    frac = min(1.0, max(0.0, (level_db + 60) / 60))
    n = int(frac * width)
    colour = "green" if level_db < -6 else "red"
    return Text("█" * n, style=colour) + Text("░" * (width - n), style="dim")


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
    """The practice loop's screen (implements ``rehearsal.screen.PracticeUI``)."""

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

    def check_again(self) -> bool:
        """After a failed check: r tries again, any other key goes on to the questions."""
        self.console.print("[dim]r: try again · any other key: go on to the questions[/dim]")
        return self.keys.wait() == "r"

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
                        (f"{a.score:>3.0f}/100", score_style(a.score)),
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
