"""How a behavioural answer is scored: the points prepared, or a story that answers.

A behavioural bank's model answer often describes habits ("I communicate early, I
listen ..."), so similarity to it rewards saying the habit's words: a vague answer of
platitudes echoes them, a strong story about one real time says other words. A
behavioural answer therefore earns the better of two readings:

* the points you prepared: key-point coverage against the model answer (``grade.py``),
  scaled by relevance, and by 0.6 when the answer tells no story at all (no past
  scene, no past act of its own), eased by the share of the key's points it covers:
  platitudes and habits alone are not what the question asks for, but saying all
  that the key says is;
* a story (a past scene and what was done in it): relevance to the question
  (sentence embeddings: the answer's two sentences closest to the question, and the
  whole answer against the model answer) times its STAR completeness (``star.py``: a
  scene, the task, what "I" did, the result, a measure of it). A story about something
  else is not relevant, and earns little.

Pure: vectors and a :class:`~mockint.grading.star.Star` in, a score and notes out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mockint.grading.star import Star


@dataclass(frozen=True)
class StoryOptions:
    """How a behavioural answer's story is scored."""

    # relevance (mean cosine, see relevance()) at or below `irrelevant` earns no credit,
    # at or above `relevant` full credit; from 68 labelled answers set against their own
    # question (10th-50th percentile 0.25-0.39) and against the bank's 29 other
    # behavioural questions (50th-90th percentile 0.21-0.33)
    irrelevant: float = 0.22
    relevant: float = 0.38
    # a complete story earns this share of its score whatever its relevance (the model
    # misses many a relevant story told in its own domain's words), the rest by relevance
    floor: float = 0.35
    # the key-point reading of an answer that tells no story is scaled by this
    no_story: float = 0.6
    # each STAR part's share of a story's completeness (they sum to 1)
    situation: float = 0.25
    task: float = 0.10
    action: float = 0.30
    result: float = 0.20
    measured: float = 0.15
    # a story told only with "we" earns this share of the action's weight
    only_we: float = 0.5


def is_story(star: Star) -> bool:
    """The answer tells of one real time: a past scene, or a past act of the speaker's."""
    return bool(star.situation or star.done or (star.only_we and star.result))


def is_scene_and_act(star: Star) -> bool:
    """A story that can be read as one: a past scene and what was done in it."""
    return bool(star.situation and (star.done or star.only_we))


def completeness(star: Star, o: StoryOptions) -> float:
    """0-1: the STAR parts the answer gives, weighted; actions count when told in the past
    (what "I" did), half when told only with "we"."""
    action = 1.0 if star.done else o.only_we if star.only_we else 0.0
    return (
        o.situation * bool(star.situation)
        + o.task * bool(star.task)
        + o.action * action
        + o.result * bool(star.result)
        + o.measured * bool(star.measured)
    )


def relevance(
    sentences: np.ndarray, question: np.ndarray, answer: np.ndarray, model: np.ndarray
) -> float:
    """Mean of (the two answer sentences closest to the question, their mean cosine) and
    (the whole answer's cosine with the model answer); all vectors unit length."""
    if not len(sentences):
        return 0.0
    near = np.sort(sentences @ question)[-2:].mean()
    return float((near + answer @ model) / 2)


def credit(rel: float, o: StoryOptions) -> float:
    """0-1 from relevance, linear between `irrelevant` and `relevant`."""
    return float(np.clip((rel - o.irrelevant) / (o.relevant - o.irrelevant), 0.0, 1.0))


def score(
    key_points: float, star: Star, rel: float, o: StoryOptions, covered: float = 0.0
) -> tuple[float, list[str]]:
    """A behavioural answer's 0-100 score from its key-point score, its STAR parts, its
    relevance to the question and the share of the key's points it covers, with a note on
    how it was read.

    An answer without a story is scaled by ``no_story``, eased by the share of the key's
    points it covers: an answer that says all the key says has answered as the key asks
    (the model answer itself need not tell a story), platitudes cover none of it.

    The story's completeness counts squared: a story without its result or its measure
    is worth well under a whole one. Both readings are scaled by relevance, the story's
    only down to ``floor``."""
    story = is_story(star)
    on_topic = credit(rel, o)
    plain = o.no_story + (1.0 - o.no_story) * min(max(covered, 0.0), 1.0)
    prepared = key_points * on_topic * (1.0 if story else plain)
    reach = o.floor + (1.0 - o.floor) * on_topic
    told = 100.0 * completeness(star, o) ** 2 * reach if is_scene_and_act(star) else 0.0
    notes = []
    if not story and plain < 1.0:
        notes.append("no story: tell one real time it happened, what you did and what came of it")
    elif on_topic < 0.5:
        notes.append("say how the story answers the question: it reads as about something else")
    return round(max(prepared, told), 1), notes
