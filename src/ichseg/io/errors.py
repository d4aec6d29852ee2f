"""Errors raised when an input cannot be read as a head CT."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """An input that cannot be used, with the offending path in the message.

    Attributes:
        path: the file or folder that caused the problem.
        reason: the problem, in words a user can act on.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
