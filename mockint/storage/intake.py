"""What comes into the store from outside: an archive's rows, answers kept aside.

Nothing from outside is trusted: :func:`attempt_from_data` checks every field by
type and range before a row may be written. When the store cannot take a graded
answer (damaged, full, busy, read-only), :func:`keep_pending` writes it beside the
store as JSON and :func:`import_pending` brings it in later.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from mockint.storage.store import MODES, Attempt, Store, new_uid

STATUSES = ("complete", "interrupted")
KEY_POINT_STATUSES = ("covered", "partly covered", "missed")
_TEXT_LIMIT = 200_000  # characters of a transcript (about 8 hours of speech)
_NAME_LIMIT = 500  # characters of an id, a bank, a category, a time, a path


def attempt_from_data(d: Any) -> Attempt:
    """An Attempt from untrusted data, every field checked by type and range (ValueError)."""
    # long: one check per field, in the order of the fields; split, a field would be missed
    if not isinstance(d, dict):
        raise ValueError("not an object")
    _s = functools.partial(_text, d)
    key_points = _list(d, "key_points", 500)
    for k in key_points:
        numbers = ("strength", "recall", "similarity")
        if not (
            isinstance(k, dict)
            and isinstance(k.get("text"), str)
            and k.get("status", "missed") in KEY_POINT_STATUSES
            and isinstance(k.get("match", ""), str)
            and all(_num(k.get(f, 0)) for f in numbers)
        ):
            raise ValueError("key_points: each must have a text, a known status and numbers")
    words = _list(d, "words", 200_000)
    if not all(
        isinstance(w, dict)
        and isinstance(w.get("text"), str)
        and _num(w.get("start"))
        and _num(w.get("end"))
        for w in words
    ):
        raise ValueError("words: each must have a text, a start and an end")
    models = d.get("models", {})
    if not isinstance(models, dict) or not all(isinstance(m, dict) for m in models.values()):
        raise ValueError("models: must map names to objects")
    delivery = d.get("delivery")
    if delivery is not None and not (
        isinstance(delivery, dict)
        and all(_num(delivery.get(f, 0)) for f in ("wpm", "fillers", "seconds", "words"))
        and isinstance(delivery.get("long_pauses", []), list)
        and isinstance(delivery.get("flags", []), list)
    ):
        raise ValueError("delivery: must hold numbers (wpm, fillers, seconds, words)")
    notes = _list(d, "notes", 50)
    if not all(isinstance(n, str) and len(n) <= _NAME_LIMIT for n in notes):
        raise ValueError("notes: must be short strings")
    score: Any = d.get("score")
    coverage: Any = d.get("coverage", 0.0)
    duration: Any = d.get("duration")
    if not (_num(score) and 0 <= float(score) <= 100):
        raise ValueError(f"score {score!r}: must be a number from 0 to 100")
    if not (_num(coverage) and -10 <= float(coverage) <= 10):
        raise ValueError(f"coverage {coverage!r}: must be a number")
    if duration is not None and not (_num(duration) and 0 <= float(duration) <= 86_400):
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
        started_at=_s("started_at"),
        graded_at=_s("graded_at"),
        status=status,
        delivery=delivery,
        id=aid,
        notes=notes,
        uid=uid or new_uid(),
        heard=heard,
        mode=mode,
    )


def _num(x: Any) -> bool:
    import math

    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _text(d: dict[str, Any], key: str, default: str | None = None, limit: int = _NAME_LIMIT) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{key}: must be text of at most {limit:,} characters")
    return value


def _list(d: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = d.get(key, [])
    if not isinstance(value, list) or len(value) > limit:
        raise ValueError(f"{key}: must be a list of at most {limit:,} items")
    return value


# --- answers kept while the store cannot take them ---------------------------------------------


def pending_dirs(pending: Path) -> list[Path]:
    """Where kept answers go: beside the store, else (a full or read-only disk) the temp dir."""
    import hashlib
    import tempfile

    key = hashlib.sha256(str(pending.resolve()).encode()).hexdigest()[:12]
    return [pending, Path(tempfile.gettempdir()) / f"mockint-pending-{key}"]


def keep_pending(a: Attempt, pending: Path) -> Path:
    """Write an attempt as JSON beside the store (or in the temp dir if it cannot be written
    there); return the file. OSError if it cannot be kept anywhere."""
    from dataclasses import asdict

    from mockint.config import write_atomic

    a = a if a.uid else Attempt(**{**asdict(a), "uid": new_uid()})
    data = json.dumps(asdict(a), indent=1)
    first, fallback = pending_dirs(pending)
    try:
        return write_atomic(first / f"{a.uid}.json", data)
    except OSError:
        return write_atomic(fallback / f"{a.uid}.json", data)


def import_pending(store: Store, pending: Path) -> tuple[int, list[str]]:
    """Bring kept answers into the store (each once); return how many, and the files refused."""
    added, refused = 0, []
    files = [p for d in pending_dirs(pending) if d.is_dir() for p in sorted(d.glob("*.json"))]
    for p in files:
        try:
            a = attempt_from_data(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            refused.append(f"{p}: {e}")
            continue
        if not store.has_uid(a.uid):
            store.add_attempt(Attempt(**{**a.__dict__, "id": None, "session_id": None}))
            added += 1
        p.unlink(missing_ok=True)
    return added, refused
