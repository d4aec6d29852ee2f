"""Atomic output files: write beside the target, rename over it when complete.

A reader (or a process killed mid-write) sees either the old file or the new one, never
half of one. The temporary name ends with the target's name, so writers that choose a
format by extension (``.nii.gz``, ``.npz``, ``.png``) keep working.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` when the block ends
    without error and is removed when it raises.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "table.csv"
        >>> with atomic_path(target) as temporary:
        ...     _ = temporary.write_text("a,b\\n")
        >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
        ('a,b\\n', ['table.csv'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp_{os.getpid()}_{uuid.uuid4().hex[:8]}_{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (newlines as given)."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="")
    return Path(path)
