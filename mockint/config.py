"""Where mockint keeps its data: one directory, moved by ``MOCKINT_HOME``.

Run from a source checkout, the data directory is the checkout itself, so the
design card's ``bank/``, ``models/`` and ``recordings/`` are the live folders.
Installed elsewhere, it is ``$XDG_DATA_HOME/mockint`` (``~/.local/share/mockint``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def _is_checkout(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "bank").is_dir()


@dataclass(frozen=True)
class Paths:
    """Every path mockint reads or writes, derived from one home directory."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "mockint.db"

    @property
    def banks(self) -> Path:
        return self.home / "bank"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def recordings(self) -> Path:
        return self.home / "recordings"

    @property
    def mic_check(self) -> Path:
        """The last microphone check per input device (a passed one is not asked again)."""
        return self.home / "mic-check.json"

    @property
    def pending(self) -> Path:
        """Graded answers the store could not take yet (``mockint import-pending``)."""
        return self.home / "pending"


def home_dir() -> Path:
    """The data directory: ``MOCKINT_HOME``, else the checkout, else the XDG data dir."""
    env = os.environ.get("MOCKINT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    if _is_checkout(CHECKOUT_DIR):
        return CHECKOUT_DIR
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "mockint"


def paths() -> Paths:
    """The current :class:`Paths` (read from the environment on every call)."""
    return Paths(home_dir())


def shipped_banks_dir() -> Path | None:
    """The ``bank/`` folder shipped with the source, if this is a checkout."""
    d = CHECKOUT_DIR / "bank"
    return d if _is_checkout(CHECKOUT_DIR) else None


def shipped_models_dir() -> Path | None:
    """The checkout's ``models/`` folder: prepared models are shared from there."""
    d = CHECKOUT_DIR / "models"
    return d if _is_checkout(CHECKOUT_DIR) else None


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write a file whole or not at all: a full disk leaves no empty or partial file.

    Raises OSError (the caller says what to do); the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
