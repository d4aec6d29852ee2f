"""Adapters from the public ICH releases to the project's dataset format (``ichseg convert``).

One registered adapter per release, chosen by name (``ADAPTERS``); each reads the
release as it is downloaded (only reads it) and writes through
:class:`~ichseg.data.adapters.writer.ConversionWriter`. A new release is a new entry::

    @ADAPTERS.register("mine", description="...")
    def convert_mine(source, destination, *, progress=None, **options) -> dict: ...
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...io import InputError
from ...registry import Registry

ADAPTERS = Registry("dataset adapter", providers=(
    "ichseg.data.adapters.ctich", "ichseg.data.adapters.instance2022", "ichseg.data.adapters.bhsd",
    "ichseg.data.adapters.hemseg", "ichseg.data.adapters.rsna2019", "ichseg.data.adapters.blastct",
))


def convert(kind: str, source: str | Path, destination: str | Path, *,
            progress: Callable[[int, int, str], None] | None = None, **options) -> dict:
    """Convert the release at ``source`` with the adapter ``kind``; returns conversion.json.

    Raises:
        InputError: the source is missing or is not laid out as the release is.
        KeyError: ``kind`` is not a registered adapter.
    """
    source = Path(source)
    if not source.exists():
        raise InputError(source, "no such file or folder")
    return ADAPTERS.build(kind, source, Path(destination), progress=progress, **options)
