"""mockint: rehearse job interviews aloud, offline."""

__version__ = "0.1.0"
