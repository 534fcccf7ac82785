"""What comes into the store from outside: an archive's rows, answers kept aside.

Nothing from outside is trusted: :func:`attempt_from_data` checks every field by
type and range (times must be ISO 8601, and are stored as mockint writes them) before
a row may be written. When the store
cannot take a graded answer (damaged, full, busy, read-only), :func:`keep_pending`
writes it as JSON into the data directory's private ``pending/`` and
:func:`import_pending` brings it in later.
"""

from __future__ import annotations

import functools
import json
import math
import os
import stat
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mockint.limits import kind_of
from mockint.storage.queries import (
    delivery_shaped,
    named_objects,
    number,
    point_shaped,
    word_shaped,
)
from mockint.storage.recordings import gone, moved, resolve, to_stored
from mockint.storage.store import MODES, Attempt, Store, new_uid, now
from mockint.storage.untrusted import MAX_DEPTH, MAX_JSON_VALUES, json_values, unfit

STATUSES = ("complete", "interrupted")
_TEXT_LIMIT = 200_000  # characters of a transcript (about 8 hours of speech)
_NAME_LIMIT = 500  # characters of an id, a bank, a category, a time, a path


def attempt_from_data(d: Any) -> Attempt:
    """An Attempt from untrusted data, every field checked by type and range (ValueError)."""
    # long: one check per field, in the order of the fields; split, a field would be missed
    if not isinstance(d, dict):
        raise ValueError("not an object")
    _s = functools.partial(_text, d)
    key_points = _list(d, "key_points", 500)
    if not all(map(point_shaped, key_points)):
        raise ValueError("key_points: each must have a text, a known status and numbers")
    words = _list(d, "words", 200_000)
    if not all(map(word_shaped, words)):
        raise ValueError("words: each must have a text, a start and an end")
    models = d.get("models", {})
    if not named_objects(models):
        raise ValueError("models: must map names to objects")
    delivery = d.get("delivery")
    if delivery is not None and not delivery_shaped(delivery):
        raise ValueError("delivery: must hold numbers (wpm, fillers, seconds, words)")
    notes = _list(d, "notes", 50)
    if not all(isinstance(n, str) and len(n) <= _NAME_LIMIT for n in notes):
        raise ValueError("notes: must be short strings")
    score: Any = d.get("score")
    coverage: Any = d.get("coverage", 0.0)
    duration: Any = d.get("duration")
    if not (number(score) and 0 <= float(score) <= 100):
        raise ValueError(f"score {score!r}: must be a number from 0 to 100")
    if not (number(coverage) and -10 <= float(coverage) <= 10):
        raise ValueError(f"coverage {coverage!r}: must be a number")
    if duration is not None and not (number(duration) and 0 <= float(duration) <= 86_400):
        raise ValueError(f"duration {duration!r}: must be seconds")
    sid, aid = d.get("session_id"), d.get("id")
    if not all(x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in (sid, aid)):
        raise ValueError("session_id and id must be whole numbers")
    status, uid = _s("status"), _s("uid", "")
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: must be one of {', '.join(STATUSES)}")
    if uid and not (len(uid) == 32 and all(c in "0123456789abcdef" for c in uid)):
        raise ValueError(f"uid {uid[:40]!r}: must be 32 hex digits")
    heard = d.get("heard")
    if heard is not None and not (isinstance(heard, str) and len(heard) <= _TEXT_LIMIT):
        raise ValueError("heard: must be text")
    mode = d.get("mode", "practice")
    if mode not in MODES:
        raise ValueError(f"mode {str(mode)[:40]!r}: must be one of {', '.join(MODES)}")
    started, graded = _time(d, "started_at"), _time(d, "graded_at")
    audio = d.get("audio_path")
    if audio is not None and not (isinstance(audio, str) and len(audio) <= _NAME_LIMIT):
        raise ValueError("audio_path: must be a path")
    return Attempt(
        bank=_s("bank"),
        question_id=_s("question_id"),
        category=_s("category"),
        transcript=_s("transcript", limit=_TEXT_LIMIT),
        score=float(score or 0),
        coverage=float(coverage or 0),
        key_points=key_points,
        words=words,
        models=models,
        audio_path=audio,
        duration=None if duration is None else float(duration),
        session_id=sid,
        started_at=started,
        graded_at=graded,
        status=status,
        delivery=delivery,
        id=aid,
        notes=notes,
        uid=uid or new_uid(),
        heard=heard,
        mode=mode,
    )


def _text(d: dict[str, Any], key: str, default: str | None = None, limit: int = _NAME_LIMIT) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{key}: must be text of at most {limit:,} characters")
    return value


_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_AHEAD = timedelta(days=1)  # clocks disagree, time zones too; a day ahead of now is no answer


def _time(d: dict[str, Any], key: str) -> str:
    """An ISO 8601 time as the store writes it ('' for a kept answer: the store gives it
    the time it is stored), at most a day ahead of now: an answer graded in 9999 stayed
    the "latest" of its question forever, never due again."""
    value = _text(d, key, "", limit=40)
    if not value:
        return value
    t = stored_time(value, key)
    if datetime.fromisoformat(t) > datetime.now(timezone.utc) + _AHEAD:
        raise ValueError(f"{key} {value[:40]!r}: in the future (more than a day after now)")
    return t


def stored_time(value: str, what: str) -> str:
    """An ISO 8601 time in the one form the store writes (:func:`store.now`: UTC, whole
    seconds, ``+00:00``), so that times sort and compare (``--since``) as text: another
    offset is converted, ``Z`` spelled out (``t`` and ``z`` as RFC 3339 allows too),
    fractions of a second dropped, and a time without an offset taken as UTC. ValueError
    naming ``what`` if it is no time, or one before 1970."""
    try:
        t = datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError(f"{what} {value[:40]!r}: not an ISO 8601 time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    try:
        t = t.astimezone(timezone.utc)
    except OverflowError:  # the first or last hours of years 1 to 9999, moved to UTC
        raise ValueError(f"{what} {value[:40]!r}: before year 1 or after 9999 in UTC") from None
    if t < _EARLIEST:
        # no answer was graded then; and year 0001 was stored, then left out of every
        # report --since (as the future is refused, so is this)
        raise ValueError(f"{what} {value[:40]!r}: before 1970")
    return t.isoformat(timespec="seconds")


def _list(d: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = d.get(key, [])
    if not isinstance(value, list) or len(value) > limit:
        raise ValueError(f"{key}: must be a list of at most {limit:,} items")
    return value


def strict_json(text: str, what: str = "options") -> Any:
    """Parsed JSON whose every number is finite and within a float's range: ``NaN``,
    ``Infinity``, ``1e400``, an integer of 400 digits or JSON nested deeper than Python's
    stack is refused (ValueError naming ``what``, if any), never stored for a reader's
    float() to fail on (OverflowError) or to average into NaN."""
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except ValueError as e:
        why = str(e)
    except RecursionError:  # deeper than Python's stack, as unfit() says of less
        why = f"JSON nested over {MAX_DEPTH} deep"
    raise ValueError(f"{what}: {why}" if what else why)


def _constant(text: str) -> float:
    raise ValueError(f"{text}: not a number JSON allows")


def _int(text: str) -> int:
    if len(text) > 19:  # a 64-bit integer; int() of thousands of digits is slow, too
        raise ValueError(f"a whole number of {len(text):,} digits")
    return int(text)


def _float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"the number {text[:20]}: out of range")
    return x


# --- answers kept while the store cannot take them ---------------------------------------------

_PENDING_BYTES = 64 * 1024 * 1024  # one kept answer (its words included), read with this cap


def keep_pending(a: Attempt, pending: Path) -> Path:
    """Write an attempt as JSON in ``pending`` (inside the data directory, private to the
    user: 0700); return the file. OSError if it cannot be kept there: nothing is ever
    written to, or read from, a shared temporary directory."""
    from dataclasses import asdict

    from mockint.config import write_atomic

    # its recording relative to the data directory (``pending``'s parent), as the store
    # keeps it: an absolute path stopped the answer coming in once the directory moved
    audio = to_stored(pending.parent, a.audio_path)
    a = replace(a, uid=a.uid or new_uid(), graded_at=a.graded_at or now(), audio_path=audio)
    pending.mkdir(mode=0o700, parents=True, exist_ok=True)
    pending.chmod(0o700)
    return write_atomic(pending / f"{a.uid}.json", json.dumps(asdict(a), indent=1), follow=False)


def import_pending(store: Store, pending: Path) -> tuple[int, list[str]]:
    """Bring kept answers into the store (each once); return how many, and the files refused
    (a file that cannot be read, checked or removed stays, named in the list)."""
    added, refused = 0, []
    files = sorted(pending.glob("*.json")) if pending.is_dir() else []
    for p in files:
        try:
            text = _read_capped(p)
            if json_values(text) > MAX_JSON_VALUES:
                raise ValueError(f"over {MAX_JSON_VALUES:,} values in its JSON")
            data = strict_json(text, "")
            why = unfit(data) if isinstance(data, dict) else None
            if why:  # what an archive's row may not hold (an export would carry it)
                raise ValueError(why)
            a = _recording_here(store.home, attempt_from_data(data))
        except OSError as e:
            refused.append(f"{p}: {e.strerror or e}")
            continue
        except (ValueError, RecursionError) as e:
            refused.append(f"{p}: {e}")
            continue
        if not store.has_uid(a.uid):
            store.add_attempt(replace(a, id=None, session_id=None))
            added += 1
        try:
            p.unlink(missing_ok=True)
        except OSError as e:  # stored; its identity keeps it from being stored twice
            refused.append(f"{p}: stored, but cannot be removed ({e.strerror})")
    return added, refused


def _recording_here(home: Path, a: Attempt) -> Attempt:
    """The kept answer with its recording in ``home``'s ``recordings/`` (ValueError if it
    names anything else): a file kept before its path was written relative, with an
    absolute path from where the data directory used to be, is found by its
    ``recordings/...`` tail; a recording deleted since leaves the answer without one."""
    if a.audio_path is None or resolve(home, a.audio_path) is not None:
        return a
    here = moved(home, a.audio_path) if os.path.isabs(a.audio_path) else None
    if here is None and gone(home, a.audio_path):
        return replace(a, audio_path=None)
    if here is None:
        raise ValueError(
            f"audio_path {a.audio_path[:80]!r} is not a recording in {home / 'recordings'}"
        )
    return replace(a, audio_path=here)


def _read_capped(p: Path) -> str:
    """A regular file's text, links not followed, at most ``_PENDING_BYTES`` (a FIFO or a
    device planted in its place is refused, not waited on)."""
    fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # checked before fdopen: a directory's fails unclearly
        os.close(fd)
        raise ValueError(f"{kind_of(mode)}, not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(_PENDING_BYTES + 1)
    if len(data) > _PENDING_BYTES:
        raise ValueError(f"more than {_PENDING_BYTES:,} bytes")
    return data.decode("utf-8")
