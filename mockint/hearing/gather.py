"""Decoding several phrases at once: the ``generate`` calls of threads that hear phrases
together, made as one batch.

faster-whisper decodes one window a call. CTranslate2 decodes a batch of windows in one
call for less than the sum (beam search's steps go through the weights once for all):
on this machine the ten phrases of FLEURS joined took 1.58-1.64 s one at a time and
1.17-1.26 s four at a time, token for token the same (``bench/speed.py``). So where several
phrases wait at once (a recording heard offline), each is heard on a thread of its own
with every step faster-whisper takes (fallbacks, word times, the audio check), and
:class:`Gather` holds each thread's ``generate`` until every thread of the group is
waiting in one, then makes them one call. Threads outside a group call straight through.

A sampled decode (faster-whisper's hotter retry of a window that loops) is never batched:
CTranslate2 draws from one generator a thread, seeded once, so a draw would depend on
what else was drawn before it and beside it (thread timing, the files heard before).
Each is made alone on a fresh copy of the model (``fresh``, about 0.1 s to load), whose
generator starts from the seed: the same audio gets the same draw however it is heard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np


def _sampled(options: dict[str, Any]) -> bool:
    """Whether a call draws at random (a temperature retry), not a beam search."""
    return bool(options.get("sampling_topk", 1) != 1)


@dataclass
class _Call:
    """One thread's ``generate``: its encoder output, prompts and options, then its answer."""

    features: np.ndarray
    prompts: list[Any]
    options: dict[str, Any]
    result: list[Any] | None = None
    error: BaseException | None = None
    done: bool = False

    def key(self) -> str:
        """Calls made as one batch agree on this: options, window shape, prompt length."""
        lengths = sorted({len(p) for p in self.prompts})
        return repr((sorted(self.options.items()), self.features.shape[1:], lengths))


class Gather:
    """``generate`` of ``model`` (CTranslate2's Whisper), batched across a group's threads.

    :meth:`group` runs a function over items on a thread each; inside it, a thread's
    ``generate`` waits until each thread of the group still working waits too, and the
    last to arrive makes the waiting calls (those that agree on their options) as one.
    ``to_array`` and ``from_array`` turn CTranslate2's encoder output into an array and
    back (numpy's own in tests); ``fresh`` makes a new copy of the model, for each sampled
    call (None: sampled calls go to ``model`` too)."""

    def __init__(
        self,
        model: Any,
        to_array: Callable[[Any], np.ndarray] = np.asarray,
        from_array: Callable[[np.ndarray], Any] = lambda a: a,
        fresh: Callable[[], Any] | None = None,
    ):
        self.model = model
        self.fresh = fresh
        self.to_array, self.from_array = to_array, from_array
        self.calls = 0  # generate calls made on the model (batched or not)
        self._counting = threading.Lock()
        self._cond = threading.Condition()
        self._members = 0  # threads of a group not yet done
        self._waiting: list[_Call] = []
        self._local = threading.local()

    def in_group(self) -> bool:
        """Whether this thread hears as one of a group."""
        return bool(getattr(self._local, "member", False))

    def generate(self, features: Any, prompts: Sequence[Any], **options: Any) -> Any:
        """The model's ``generate``; batched with the group's other threads when this
        thread hears in a group."""
        if _sampled(options) or not self.in_group():
            return self._alone(features, prompts, options)
        call = _Call(self.to_array(features), list(prompts), options)
        with self._cond:
            self._waiting.append(call)
            while not call.done:
                if not self._run_if_all_wait():
                    self._cond.wait()
        if call.error is not None:
            raise call.error
        return call.result

    def _alone(self, features: Any, prompts: Sequence[Any], options: dict[str, Any]) -> Any:
        """One call made on its own: a sampled one on a fresh model (its own seeded draws)."""
        model = self.fresh() if self.fresh is not None and _sampled(options) else self.model
        with self._counting:
            self.calls += 1
        return model.generate(features, prompts, **options)

    def _run(self, calls: list[_Call]) -> None:
        """Make the waiting calls, one batch for each set that agrees (under the lock:
        every other thread of the group waits for it anyway)."""
        sets: dict[str, list[_Call]] = {}
        for c in calls:
            sets.setdefault(c.key(), []).append(c)
        for same in sets.values():
            try:
                features = self.from_array(np.concatenate([c.features for c in same]))
                prompts = [p for c in same for p in c.prompts]
                with self._counting:
                    self.calls += 1
                found = list(self.model.generate(features, prompts, **same[0].options))
                for c in same:
                    c.result, found = found[: len(c.prompts)], found[len(c.prompts) :]
            except Exception as e:  # each waiting thread raises it
                for c in same:
                    c.error = e
            for c in same:
                c.done = True

    def group(self, f: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """``f`` of each item, on a thread each, their ``generate`` calls batched; in order.
        An exception of ``f`` is raised here (the first item's that raised)."""
        if len(items) <= 1:  # on this thread, a member still (its calls are this gather's)
            with self._member(joining=True) if items else nullcontext():
                return [f(x) for x in items]
        out: list[Any] = [None] * len(items)
        errors: list[BaseException | None] = [None] * len(items)

        def one(i: int) -> None:
            with self._member():
                try:
                    out[i] = f(items[i])
                except BaseException as e:  # raised in the caller's thread
                    errors[i] = e

        with self._cond:
            self._members += len(items)
        threads = [
            threading.Thread(target=one, args=(i,), name=f"mockint-hear-{i}", daemon=True)
            for i in range(len(items))
        ]
        started = 0
        try:
            for t in threads:
                t.start()
                started += 1
        finally:
            self._leave(len(threads) - started)  # none, unless a thread could not start
        for t in threads[:started]:
            t.join()
        for e in errors:
            if e is not None:
                raise e
        return out

    @contextmanager
    def _member(self, joining: bool = False) -> Iterator[None]:
        """This thread is one of a group until done: counted in ``_members`` already, or
        counted here (``joining``), inside the block that takes it out again."""
        counted = not joining
        try:
            if joining:
                with self._cond:
                    self._members += 1
                    counted = True
            self._local.member = True
            yield
        finally:
            self._local.member = False
            if counted:
                self._leave(1)

    def _leave(self, n: int) -> None:
        """``n`` threads of a group are done: the calls waiting for them are made now if
        every thread left is waiting."""
        if n <= 0:
            return
        with self._cond:
            self._members -= n
            self._run_if_all_wait()
            self._cond.notify_all()

    def _run_if_all_wait(self) -> bool:
        """Under the lock: where every thread of a group still working waits, make the
        waiting calls and wake their threads. Whether it did."""
        if not self._waiting or len(self._waiting) < self._members:
            return False
        self._run(self._waiting)
        self._waiting = []
        self._cond.notify_all()
        return True
