"""The plain-text bank header's category ranges (``- FastAPI: Q21–Q30``).

Kept sorted, so adding a range and finding a question's are a binary search, not a
scan of all (20,000 ranges took a minute); and a line that looks like the missing entry
of a number a range names is refused, so an entry line the parser did not know is never
lost without a word.
"""

from __future__ import annotations

import bisect
import re

from mockint.errors import BankError

# an entry line in another shape ('q2.', 'Q2 What', '**Q2.**', 'Question 2:')
_LOOSE_RE = re.compile(r"^[*_#\s]*(?:q|question)\s*(?P<n>\d{1,9})\b", re.IGNORECASE)


class Ranges:
    """The header's category ranges: never overlapping, at most ``most`` of them."""

    def __init__(self, path: str, most: int):
        self.path, self.most = path, most
        self.firsts: list[int] = []  # sorted; the ranges never overlap
        self.items: list[tuple[int, str, int]] = []  # last, name, line (same order)

    def add(self, name: str, a: int, b: int, line: int) -> None:
        if a > b:
            raise BankError(self.path, line, f"range Q{a}–Q{b} runs backwards: write Q{b}–Q{a}")
        if len(self.items) >= self.most:
            raise BankError(self.path, line, f"more than {self.most:,} category ranges")
        k = bisect.bisect_left(self.firsts, a)
        # only a neighbour can overlap: the range starting before a, or the next one
        for j in (k - 1, k):
            if 0 <= j < len(self.items) and a <= self.items[j][0] and self.firsts[j] <= b:
                _, other, oline = self.items[j]
                raise BankError(
                    self.path, line, f"range Q{a}–Q{b} overlaps '{other}' (line {oline})"
                )
        self.firsts.insert(k, a)
        self.items.insert(k, (b, name, line))

    def find(self, n: int) -> str | None:
        """The category whose range holds question ``n``."""
        k = bisect.bisect_right(self.firsts, n) - 1
        return self.items[k][1] if k >= 0 and n <= self.items[k][0] else None

    def check_held(self, held: set[int], lines: list[str]) -> None:
        """A line that looks like the entry of a number a range names, where that number has
        no entry (``held``), was read as the answer above it, which (a grading key) then
        held another question: it is named. A range may have gaps (a question deleted)."""
        for k, raw in enumerate(lines, 1):
            like = _LOOSE_RE.match(raw.strip())
            if like is None or int(like["n"]) in held:
                continue
            n = int(like["n"])
            name = self.find(n)
            if name is not None:
                raise BankError(
                    self.path,
                    k,
                    f"Q{n} of the range '{name}' has no entry: this line looks like it but "
                    f"is not in the form 'Q{n}. question': write it so",
                )
