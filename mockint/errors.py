"""What can go wrong for a user, as one family of exceptions.

Library code raises a :class:`MockintError` kind whose message names the file or
device and says how to fix it; the CLI group turns any of them into one
``Error: ...`` line and exit code 1. Anything else escaping is a bug.
"""

from __future__ import annotations


class MockintError(Exception):
    """A failure the user can fix; the message says what and how."""


class AudioError(MockintError):
    """An audio file that cannot be used; the message names the file."""


class DeviceError(MockintError):
    """No usable audio device, or it failed."""


class SpeechError(MockintError):
    """No text-to-speech engine, or it failed."""


class ModelError(MockintError):
    """A model is missing, unprepared, damaged or of an unknown format."""


class BankError(MockintError):
    """A question bank that cannot be read or imported; the message names file and line."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}" if where else message)


class OutputError(MockintError):
    """A place output cannot go (a directory, device, FIFO...); the message names it."""


class ArchiveError(MockintError):
    """An export that cannot be written or an archive that cannot be imported."""


class StoreError(MockintError):
    """The practice history cannot be read or written."""


class PracticeError(MockintError):
    """A practice session cannot go on."""
