"""The practice screen: rich output and single-key input at the terminal."""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import threading
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mockint.bank import Question
from mockint.session import Assessment, CategorySummary, Listening


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
            s = line.strip().lower()
            self._q.put(s[:1] if s else "enter")
        self._q.put(None)

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
            k = self._q.get_nowait()
        except queue.Empty:
            return None
        if k is None:
            self._closed = True
        return k

    def wait(self) -> str:
        """Block for the next key (Enter once input has ended)."""
        if self._tty:
            return self._name(os.read(sys.stdin.fileno(), 1).decode(errors="ignore"))
        if self._closed:
            return "enter"
        k = self._q.get()
        if k is None:
            self._closed = True
            return "enter"
        return k


def _meter(level_db: float, width: int = 30) -> Text:
    frac = min(1.0, max(0.0, (level_db + 60) / 60))
    n = int(frac * width)
    colour = "green" if level_db < -6 else "red"
    return Text("█" * n, style=colour) + Text("░" * (width - n), style="dim")


def _score_style(score: float) -> str:
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"


class ConsoleUI:
    """The practice loop's screen (implements ``session.PracticeUI``)."""

    def __init__(self, console: Console | None = None, keys: Keys | None = None):
        self.console = console or Console(highlight=False)
        self.keys = keys or Keys()
        self._live: Live | None = None

    def close(self) -> None:
        self._stop_live()
        self.keys.close()

    def _stop_live(self) -> None:
        if self._live is not None:
            with contextlib.suppress(Exception):
                self._live.stop()
            self._live = None

    def status(self, message: str) -> None:
        self.console.print(f"[dim]{message}[/dim]")

    def question(self, q: Question, index: int, total: int) -> None:
        self._stop_live()
        self.console.print()
        self.console.print(
            Panel(
                Text(q.text, style="bold"),
                title=f"Question {index} of {total} · {q.id} · {q.category}",
                title_align="left",
            )
        )

    def listening(self, s: Listening) -> None:
        mins, secs = divmod(int(s.remaining + 0.999), 60)
        clock = Text(f"{mins}:{secs:02d} left", style="bold red" if s.warn else "bold")
        state = Text(
            "● speaking" if s.speaking else "○ listening", style="green" if s.speaking else "dim"
        )
        line = Text.assemble(state, "  ", _meter(s.level_db), "  ", clock)
        parts: list[Any] = [line]
        if s.warn:
            parts.append(Text("Time is running out: wrap up your answer.", style="red"))
        if s.partial:
            parts.append(Text(s.partial[-300:], style="dim italic"))
        parts.append(Text("Enter: done · s: skip · q: quit", style="dim"))
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
        c = self.console
        c.print(Text("Your answer: ", style="bold") + Text(a.transcript.text or "(nothing heard)"))
        score = a.grade.score
        c.print(
            Text.assemble(
                ("Score: ", "bold"),
                (f"{score:.0f}/100", f"bold {_score_style(score)}"),
                (f"  ({len(a.grade.covered)} of {len(a.grade.key_points)} key points)", "dim"),
            )
        )
        for title, points, mark in (("Partly covered:", a.grade.partly, "~"),
                                    ("Missed:", a.grade.missed, "-")):  # fmt: skip
            if points:
                c.print(Text(title, style="bold yellow"))
                for k in points:
                    c.print(Text(f"  {mark} {k.text}"))
        if a.delivery is not None:
            d = a.delivery
            c.print(Text.assemble(("Delivery: ", "bold"), f"{d.wpm:.0f} words a minute, "
                                  f"{d.fillers} filler words, {len(d.long_pauses)} long pauses, "
                                  f"{d.seconds:.0f} s"))  # fmt: skip
            for f in d.flags:
                c.print(Text(f"  · {f}", style="dim"))
        c.print(Text(f"Saved as attempt {attempt_id}.", style="dim"))

    def key(self) -> str | None:
        return self.keys.poll()

    def choose(self) -> str:
        self.console.print(
            "[dim]Enter: next · r: retry the answer · p: hear the question again · q: quit[/dim]"
        )
        while True:
            k = self.keys.wait()
            choice = {"enter": "next", "n": "next", "r": "retry", "p": "repeat", "q": "quit"}.get(k)
            if choice:
                return choice

    def summary(self, rows: list[CategorySummary]) -> None:
        self._stop_live()
        if not rows:
            self.console.print("\nNo answers graded this session.")
            return
        t = Table(title="This session", title_justify="left")
        t.add_column("Category")
        t.add_column("Answers", justify="right")
        t.add_column("Mean", justify="right")
        t.add_column("Best", justify="right")
        for r in rows:
            t.add_row(r.category, str(r.attempts), f"{r.mean:.0f}", f"{r.best:.0f}")
        self.console.print()
        self.console.print(t)
