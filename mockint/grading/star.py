"""STAR feedback on behavioural answers: Situation, Task, Action, Result, and whether the
result is measured.

Pure and rule based: each sentence (or clause) of the transcript is read for the
cues an interviewer listens for: a past scene anchored in time or place, what the
candidate had to achieve, what they did in the first person ("I ...", not "we
..."), what changed, and a number or a before/after in that change. It informs;
the similarity score stays the grade. Accuracy per part on a hand-labelled set is
in ``bench/star.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockint.text import split_sentences

PARTS = ("situation", "task", "action", "result", "measured")

_I = re.compile(r"(?<![\w'])i(?![\w'])", re.I)

# a scene: a time or place anchor, or a narrative opening, in the past
_SCENE = re.compile(
    r"\b(last (year|month|quarter|week|sprint)|(a|one|two|three) (days?|weeks?|months?) "
    r"(before|after|into)|when (i|we) (joined|started|was|were|had)|when (the|our|my|a|an) "
    r"\w+|at (my|our) (current|last|previous|first)|in (my|our) (current|last|previous|"
    r"first) (role|job|team|company|project)|(on|in|during) (the )?[A-Z][\w-]+ (project|"
    r"platform|rollout|release|launch)|(on|in|at|during) (thirdi|dhl|procuremate|bridgefix)|"
    r"there was (a|an|this|one) (time|day|bug|case|issue|point)|^(once|one time|so once)\b|"
    r"we had (a|an|two|three)|was (slow|down|broken|failing|timing out|huge|taking|growing)|"
    r"were (slow|down|waiting|choosing)|at one point|for example, when)",
    re.I,
)
_PAST = re.compile(r"\b(was|were|had|did|got|\w{3,}ed)\b", re.I)

_TASK = re.compile(
    r"\b((my|the|our) (task|job|role|goal|aim|responsibility|challenge|mission) (was|were)|"
    r"i was (responsible|asked|supposed|tasked|expected|the (owner|only))|"
    r"i (had|needed|wanted|was trying) to|it was my (job|task|responsibility)|"
    r"as the owner|i owned|we (had|needed) to (make|keep|ship|deliver|fix|finish|decide))\b",
    re.I,
)

# first-person verbs that are not actions (states, opinions, wishes, the task itself)
_NOT_ACTION = {
    "am",
    "was",
    "were",
    "have",
    "had",
    "has",
    "think",
    "thought",
    "believe",
    "believed",
    "feel",
    "felt",
    "would",
    "will",
    "can",
    "could",
    "should",
    "might",
    "need",
    "needed",
    "want",
    "wanted",
    "like",
    "liked",
    "enjoy",
    "enjoyed",
    "hope",
    "guess",
    "mean",
    "know",
    "knew",
    "joined",
    "started",
    "do",
    "don't",
    "didn't",
    "really",
    "also",
    "still",
    "just",
    "usually",
    "always",
    "only",
    "probably",
    "personally",
    "realised",
    "realized",
    "owned",
    "did",
    "get",
    "got",
    "wasn't",
    "wish",
    "love",
    "see",
    "saw",
}
_ADVERBS = {
    "usually",
    "always",
    "also",
    "first",
    "then",
    "just",
    "quickly",
    "immediately",
    "personally",
    "still",
    "really",
    "finally",
    "now",
    "often",
    "simply",
}
_WE_ACTION = re.compile(r"\bwe (\w+ed|built|wrote|made|set|took|fixed|agreed|decided)\b", re.I)

_RESULT = re.compile(
    r"\b(as a result|in the end|the (result|outcome) was|which meant|finally|afterwards|"
    r"after that,? (the|it|our|we|they|he|she)|by the end|since then|from then on|"
    r"went (well|out|live|down|up|from)|dropped|reduced|improved|increased|decreased|"
    r"came down|went from|shipped|released|launched|accepted|approved|adopted|stayed|"
    r"stopped|started using|on time|got it|(was|were) fixed|saved|faster|instant|"
    r"trusted|became|ended up|succeeded|finished|taught me|learned that|learnt that|"
    r"(is|are|were|was) (now|usually)|now (customers|users|the|we|they)|"
    r"(it|that) (worked|helped|solved|fixed)|instead of|after that,? i could)\b",
    re.I,
)
_NUMBER = re.compile(
    r"(\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"half|double|doubled|halved|twice|percent|times)\b|\b(from|instead of) [\w ]{1,30} "
    r"to\b)",
    re.I,
)

_HINTS = {
    "situation": "set the scene (where and when)",
    "task": "say what you had to achieve",
    "action": "say what you did yourself ('I ...')",
    "result": "end with the outcome",
    "measured": "measure the result (a number, a before and after)",
}


@dataclass(frozen=True)
class Star:
    """Which STAR parts an answer gives, with the span that shows each ("" if absent)."""

    situation: str
    task: str
    action: str
    result: str
    measured: str
    # the answer tells what "we" did but not what "I" did
    only_we: bool = False

    def present(self, part: str) -> bool:
        return bool(getattr(self, part))

    @property
    def missing(self) -> list[str]:
        out = [p for p in PARTS[:4] if not self.present(p)]
        if self.result and not self.measured:
            out.append("measured")
        return out

    @property
    def note(self) -> str:
        """One line: complete, or what is missing and how to add it."""
        if not self.missing:
            return "STAR: situation, task, actions and a measured result: complete"
        fixes = [_HINTS[p] for p in self.missing]
        if "action" in self.missing and self.only_we:
            fixes[self.missing.index("action")] = "say what you did yourself, not what 'we' did"
        return "STAR: " + "; ".join(fixes)

    def to_dict(self) -> dict[str, str]:
        return {p: getattr(self, p) for p in PARTS}


def clauses(text: str) -> list[str]:
    """Sentences, and long sentences cut at ', so' / ', and then' (spoken run-ons)."""
    out = []
    for s in split_sentences(text):
        out += [c.strip(" ,") for c in re.split(r",? (?:and then|so then|and so)\b", s) if c]
    return [c for c in out if c]


def is_action(clause: str) -> bool:
    """The clause says what the speaker did (or does): 'I' before an action verb."""
    words = re.findall(r"[\w']+", clause.lower())
    for i, w in enumerate(words):
        if w != "i" or i + 1 >= len(words):
            continue
        j = i + 1
        while j < len(words) - 1 and words[j] in _ADVERBS:
            j += 1
        verb = words[j]
        if verb in _NOT_ACTION or verb.startswith("'") or verb in ("to", "and"):
            continue
        if i > 0 and words[i - 1] in ("when", "as", "if", "before", "after", "since", "me"):
            continue
        return True
    return False


def analyse(text: str) -> Star:
    """The STAR parts of a spoken answer, each with the first clause that shows it."""
    found = dict.fromkeys(PARTS, "")
    we = False
    for c in clauses(text):
        if not found["situation"] and _SCENE.search(c) and _PAST.search(c):
            found["situation"] = c
        if not found["task"] and _TASK.search(c):
            found["task"] = c
        act = is_action(c) and not _TASK.search(c)
        if not found["action"] and act:
            found["action"] = c
        we = we or bool(_WE_ACTION.search(c))
        cue = bool(_RESULT.search(c))
        # an outcome: a result cue, or (STAR's order) what follows the actions without
        # being one, e.g. "The queue now empties in twenty minutes."
        after = bool(found["action"]) and found["action"] != c
        if (cue and c != found["task"] and not act) or (after and (cue or not act)):
            if not found["result"]:
                found["result"] = c
            if not found["measured"] and _NUMBER.search(c):
                found["measured"] = c
    return Star(**found, only_we=we and not found["action"])
