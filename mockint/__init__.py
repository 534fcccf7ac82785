"""mockint: rehearse job interviews aloud, offline."""

import os

__version__ = "0.1.0"

# onnxruntime (the voice detector, the Piper voice) starts Microsoft's telemetry when it is
# imported: a device id and an event queue under ~/.cache/Microsoft, outside the data
# directory, for an uploader. Nothing of a rehearsal leaves the machine: off, before any
# import of it (a user who set the variable keeps their value)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
