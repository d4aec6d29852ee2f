"""What the adapters share: finding files by the release's naming, one progress call per case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ...io import InputError
from ...io.nifti import is_nifti_path

Progress = Callable[[int, int, str], None] | None


def nifti_stem(path: Path) -> str:
    """``001.nii.gz`` -> ``001``; ``scan.nii`` -> ``scan``."""
    name = path.name
    return name[: -len(".nii.gz")] if name.lower().endswith(".nii.gz") else name.rsplit(".", 1)[0]


def nifti_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_nifti_path(p.name) and not p.name.startswith("."))


def required_folder(source: Path, relative: str, expected: str) -> Path:
    """``source / relative`` when it is a folder, else a one-line error saying what the release holds."""
    folder = source / relative
    if not folder.is_dir():
        raise InputError(source, f"no {relative}/ folder: expected {expected}")
    return folder


def report_progress(progress: Progress, items: Iterable, total: int, name: Callable = str):
    """Yield ``items`` and call ``progress(k, total, name(item))`` after each."""
    for k, item in enumerate(items, 1):
        yield item
        if progress:
            progress(k, total, name(item))
