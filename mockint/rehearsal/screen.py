"""What the practice loop shows and asks: the protocol a screen implements (the
terminal's :class:`mockint.ui.ConsoleUI`, the browser's :class:`mockint.web.bridge.SocketUI`)
and what passes through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from mockint.bank import Question
from mockint.grading.assess import Assessment
from mockint.reports.report import Missed
from mockint.storage.store import Attempt

# what the candidate can do while answering, and after a result
Action = Literal["done", "skip", "quit", "hint"]
Choice = Literal["next", "retry", "repeat", "quit", "edit", "model", "undo"]


@dataclass(frozen=True)
class Listening:
    """The state of a recording, for the live display (~10 updates a second)."""

    elapsed: float
    remaining: float
    level_db: float
    speaking: bool
    warn: bool
    partial: str
    # the latest hint asked for ("" for none); live mode offers none
    hint: str = ""
    live: bool = False


@dataclass(frozen=True)
class CategorySummary:
    category: str
    attempts: int
    mean: float
    best: float


class PracticeUI(Protocol):
    """What the loop shows and asks; ``ui.ConsoleUI`` is the terminal's."""

    def status(self, message: str) -> None: ...

    def question(self, q: Question, index: int, total: int) -> None: ...

    def listening(self, state: Listening) -> None: ...

    def transcribing(self) -> None: ...

    def result(self, a: Assessment, attempt_id: int) -> None: ...

    def taken(self, attempt_id: int, seconds: float) -> None:
        """Live mode: the answer is kept; its score waits for the summary."""

    def model_answer(self, q: Question) -> None:
        """Show the model answer (it is spoken as it shows)."""

    def interrupted(self) -> bool:
        """A key was pressed to stop what is being spoken."""

    def action(self) -> Action | None:
        """What the candidate asked for while answering since the last call, if anything."""

    def choose(self) -> Choice:
        """After a result: the next question, answer again, hear it again, correct the
        transcript, or quit."""

    def edit(self, text: str) -> str | None:
        """The transcript as the candidate corrects it (None: left as it was)."""

    def undo(self, changed: Sequence[tuple[int, str, str]]) -> list[int]:
        """Which of the corrected words (numbered from 1, as shown) to put back as heard."""

    def summary(
        self,
        rows: list[CategorySummary],
        missed: Sequence[Missed] = (),
        answers: Sequence[Attempt] = (),
    ) -> None:
        """The session's per-category figures, each answer's score, and the key points
        missed most."""
