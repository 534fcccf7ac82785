"""STAR feedback on behavioural answers: Situation, Task, Action, Result, and whether the
result is measured.

Pure and rule based, and bank-agnostic: no rule names a person, employer, project or
place; a name counts only as a capitalised word in a scene ("at Northgate", "for
Kestrel"), so any other name reads the same. Each clause of the transcript is read
for what an interviewer listens for, by its grammar rather than its topic:

* situation: a past scene: a time anchor ("last spring", "two weeks before go-live",
  "when I joined", "in my first week"), a place ("at my last job", "at a small
  studio", "at Northgate"), a past progressive ("I was building ...", "players were
  waiting") or a narrative opening ("there was a ...", "this was on ...");
* task: what the candidate had to achieve ("I had to", "I was asked to", "my job was");
* action: what the candidate did or does, in the first person ("I ...", not "we ...");
  hypotheticals ("I would") and states ("I think", "I was") are not actions;
* result: what came of it (an outcome word, a lesson, or what follows the actions
  without being one); measured: a number or a before and after in that result.

It informs; a behavioural answer's grade uses it (``grade.py``). Accuracy per part
on hand-labelled answers is in ``bench/star.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mockint.text import split_sentences

PARTS = ("situation", "task", "action", "result", "measured")

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# where a story happens: a kind of workplace or setting (common nouns, no names)
_PLACES = (
    "company|startup|start-up|studio|bank|agency|firm|consultancy|retailer|hospital|shop|"
    "store|school|university|uni|college|team|client|insurer|airline|charity|business|"
    "fintech|job|role|internship|employer|place|department|organisation|organization|"
    "project|platform|product|lab|factory|warehouse|clinic|restaurant|office|bootcamp"
)
# a time anchor: when the scene happened
_WHEN = re.compile(
    r"\b((last|that|this past) (year|spring|summer|autumn|fall|winter|month|quarter|week|"
    r"sprint|job|role|company|release)|(in|during) (my|our|the|his|her) (first|second|third|"
    r"last|final|early|previous) (week|weeks|month|months|year|years|days|sprint|job|role)|"
    r"(?!every\b)\w+ (days?|weeks?|months?|years?|hours?) (before|after|into|ago)|"
    r"when (i|we|she|he|they) (joined|started|was|were|had|moved|worked|arrived|took)|"
    r"back (then|in)|at the time|one (day|time|evening|morning|night|weekend|week)|"
    r"^(so |um |yeah )*once\b|"
    rf"(on|one|last) ({_DAYS})|in ({_MONTHS})|(19|20)\d\d|at one point|on day one)\b",
    re.I,
)
# a place anchor: where the scene happened
_WHERE = re.compile(
    r"\b((at|for|with|in|on|joined) (my|our) (current|last|previous|old|first|second|former|"
    rf"new) ({_PLACES})|(at|for|in|with|joined|on) (a|an|one|this|the) ([\w-]+ ){{0,3}}"
    rf"({_PLACES})s?|(my|our) (first|last|previous|current|old) ({_PLACES}) (was|is)|"
    r"(this|it) was (on|at|in|during|for|with|when|back|a|an|our|my)|"
    r"there (was|were) (a|an|this|one|some|two|three)|"
    r"we had (a|an|this|one|two|three|some)|(i|we) (was|were) (\w+ing)|"
    r"(was|were) (slow|down|broken|failing|timing out|waiting|growing|drowning|stuck|"
    r"taking|handled|done|running))\b",
    re.I,
)
# a name in a scene: a capitalised word after at/for/joined, whatever the name
_NAMED = re.compile(
    r"\b(?:[Aa]t|[Ff]or|[Jj]oined|[Ww]ith|[Oo]n|[Dd]uring) (?:the )?[A-Z][\w-]+|"
    r"\b[A-Z][\w-]+ (?:project|platform|rollout|release|launch|migration|team)\b"
)
_PAST = re.compile(
    r"\b(was|were|had|did|got|\w{3,}ed|built|wrote|made|took|ran|found|drew|sat|kept|led|"
    r"spent|told|gave|brought|broke|chose|sent|began|caught|went|won|became|came|saw|met|"
    r"held|paid|sold|stood|taught|understood|left|lost|dug|fought|bought|thought|felt)\b",
    re.I,
)

_TASK = re.compile(
    r"\b((i|we) (had|needed|was trying|were trying|was supposed|were supposed|was expected|"
    r"were expected|was meant|were meant) to|i was (asked|told|given|tasked|assigned|hired|"
    r"brought in|responsible|in charge|the one|the (owner|only))|(asked|told|needed|got|"
    r"wanted) me to|(my|the|our) (task|job|goal|aim|responsibility|challenge|mission|brief|"
    r"ask) (was|were)|it was my (job|task|responsibility|call)|i (owned|volunteered|took "
    r"on|took ownership)|(responsible for|in charge of|ownership of)|as the owner)\b",
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
    r"(it|that) (worked|helped|solved|fixed)|instead of|after that,? i could|lesson|"
    r"no (missed|errors?|downtime))\b",
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
    # the first clause that tells what the speaker did, in the past ("" for habits only)
    done: str = ""

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
    """Sentences, and long sentences cut where a new clause starts (spoken run-ons):
    at ', and then' / ', so' and at ', and <subject>'."""
    out = []
    for s in split_sentences(text):
        out += [c.strip(" ,") for c in _CUT.split(s) if c and c.strip(" ,")]
    return out


_CUT = re.compile(
    r",? (?:and then|so then|and so)\b|, and,? (?:uh,? |um,? )?(?=(?:the|it|we|they|our|"
    r"that|this|she|he)\b)",
    re.I,
)
# a clause about what someone usually does, not a scene
_HABIT = re.compile(
    r"\b(usually|always|every (day|week|morning|time|sprint|month)|whenever|often|normally|"
    r"typically|tend to|each time)\b",
    re.I,
)


def is_scene(clause: str, after: str = "") -> bool:
    """The clause sets a past scene: a time or place anchor (or a name in a place), in the
    past tense (its own, or the next clause's when it names the place in passing), and
    not a habit told in the present ("I read the news every Monday")."""
    anchored = _WHEN.search(clause) or _WHERE.search(clause) or _NAMED.search(clause)
    past = _PAST.search(clause) or (_NAMED.search(clause) and _PAST.search(after))
    if not anchored or not past or _HABIT.search(clause):
        return False
    verb = first_person_verb(clause)
    if verb is None or _PAST.fullmatch(verb):
        return True
    # a present frame joined to a past scene: "I teach at a school, and three weeks
    # before the deadline the board changed the brief": the joined clause is read alone
    joined = _AND.split(clause)[1:]
    return any(_WHEN.search(j) and is_scene(j) for j in joined)


_AND = re.compile(r",? and (?:then |so )?", re.I)


def first_person_verb(clause: str) -> str | None:
    """The verb of the clause's first action in the first person ('I ...'), if any."""
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
        return verb
    return None


def is_action(clause: str) -> bool:
    """The clause says what the speaker did (or does): 'I' before an action verb."""
    return first_person_verb(clause) is not None


# a name inside a sentence: a capitalised word not at its start, save "I" (a month or a
# day too: a name swap may take it for one; the grammar still reads it)
_NAME = re.compile(r"(?<=[^.!?] )(?!I\b|I')[A-Z][\w'-]*")
_WEIGHTS = Path(__file__).with_name("star_situation.json")


def masked(clause: str) -> str:
    """The clause with every name read as "Name": what the learned reading sees, so
    that swapping a name cannot change it."""
    return _NAME.sub("Name", clause)


def embedding_inputs(text: str) -> list[str]:
    """The texts whose sentence embeddings ``analyse`` takes: the clauses, names masked."""
    return [masked(c) for c in clauses(text)]


@cache
def situation_model() -> dict:
    """The learned scene reader (bench/star_train.py): a logistic regression over a
    clause's sentence embedding, its weights, bias, threshold and the embedder's name."""
    return dict(json.loads(_WEIGHTS.read_text()))


def scene_scores(vectors: np.ndarray) -> np.ndarray:
    """Each clause's probability of setting a scene, from its (unit) sentence embedding."""
    m = situation_model()
    w = np.asarray(m["weights"], dtype=np.float64)
    return np.asarray(1.0 / (1.0 + np.exp(-(vectors.astype(np.float64) @ w + m["bias"]))))


def anchored(clause: str) -> bool:
    """A time or place anchor (or a name in a place), something that happened (a past
    tense anywhere in the clause), and not a habit: what the learned reader may confirm
    as a scene whoever's verb comes first ("I teach at a school in X, and three weeks
    before the deadline the board changed the brief")."""
    found = _WHEN.search(clause) or _WHERE.search(clause) or _NAMED.search(clause)
    return bool(found) and bool(_PAST.search(clause)) and not _HABIT.search(clause)


def _learned_scenes(cs: list[str], vectors: np.ndarray | None) -> set[int]:
    """Clauses the grammar proposes (an anchor) and the embedding classifier confirms."""
    if vectors is None or vectors.ndim != 2 or vectors.shape[0] != len(cs):
        return set()
    if vectors.shape[1] != len(situation_model()["weights"]):
        return set()
    p = scene_scores(vectors)
    return {n for n, c in enumerate(cs) if anchored(c) and p[n] > situation_model()["threshold"]}


def analyse(text: str, vectors: np.ndarray | Sequence[Sequence[float]] | None = None) -> Star:
    """The STAR parts of a spoken answer, each with the first clause that shows it.

    ``vectors``: optional unit sentence embeddings of ``embedding_inputs(text)`` (one
    row per clause, from the embedder named in ``situation_model()``); with them a
    clause with a time or place anchor that the grammar alone rejects (a scene told in
    the present, "I'm a nurse at ...") is a situation when the classifier says so."""
    found = dict.fromkeys(PARTS, "")
    we = False
    done = ""
    cs = clauses(text)
    learned = _learned_scenes(cs, None if vectors is None else np.asarray(vectors))
    for n, c in enumerate(cs):
        scene = is_scene(c, cs[n + 1] if n + 1 < len(cs) else "") or n in learned
        if not found["situation"] and scene:
            found["situation"] = c
        if not found["task"] and _TASK.search(c):
            found["task"] = c
        verb = first_person_verb(_TASK.sub(" ", c))  # "I had to ..." is the task, not an act
        act = verb is not None
        if not found["action"] and act:
            found["action"] = c
        if not done and act and _PAST.fullmatch(str(verb)):
            done = c
        we_act = bool(_WE_ACTION.search(c))
        we = we or we_act
        cue = bool(_RESULT.search(c))
        # an outcome: a result cue, or (STAR's order) what follows the actions without
        # being one ("The queue now empties in twenty minutes."), or a story's last clause
        acted = bool(found["action"]) and found["action"] != c
        last = n == len(cs) - 1 and (we or found["action"]) and not act and _PAST.search(c)
        told = not act and bool(_PAST.search(c))  # a past event that is not an act of "I"
        if (cue and c != found["task"] and not act) or (acted and (cue or told)) or last:
            if not found["result"]:
                found["result"] = c
            if not found["measured"] and _NUMBER.search(c):
                found["measured"] = c
    return Star(**found, only_we=we and not found["action"], done=done)


class Encoder(Protocol):
    """What ``read`` needs of an embedder (grade.Embedder is one)."""

    name: str

    def tokens(self, texts: Sequence[str]) -> Sequence[Any]: ...


def read(texts: Sequence[str], encoder: Encoder | None) -> list[Star]:
    """``analyse`` of each text, with the learned scene reader when ``encoder`` is the
    embedder it was trained on (one encoder pass for all the texts' clauses); by the
    grammar alone otherwise. The encoder is called, never built, here."""
    if encoder is None or encoder.name != situation_model()["embedder"]:
        return [analyse(t) for t in texts]
    inputs = [embedding_inputs(t) for t in texts]
    flat = [c for cs in inputs for c in cs]
    zero = np.zeros(len(situation_model()["weights"]))
    pooled = [
        np.asarray(t.vectors).mean(axis=0) if len(t.vectors) else zero
        for t in (encoder.tokens(flat) if flat else [])
    ]
    out, at = [], 0
    for t, cs in zip(texts, inputs, strict=True):
        if not cs:  # no clause to read: nothing for the learned reader either
            out.append(analyse(t))
            continue
        v = np.array(pooled[at : at + len(cs)], dtype=np.float64).reshape(len(cs), -1)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        out.append(analyse(t, v))
        at += len(cs)
    return out
