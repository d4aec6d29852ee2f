"""Releases that are pairs of NIfTI files (image, label map): read, check, remap, write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...io import InputError, read_nifti
from .alignment import labels_on_image_grid, remap_labels
from .common import Progress, report_progress
from .writer import ConversionWriter


@dataclass(frozen=True)
class NiftiPair:
    """One case of a release: its name in the dataset, its image and label files, its split."""

    case: str
    image: Path
    label: Path | None
    split: str = ""


def write_pairs(writer: ConversionWriter, pairs: Sequence[NiftiPair], mapping: Mapping[int, int],
                progress: Progress, *, source: Path) -> None:
    """Write every pair (a pair without a label file is skipped with why); resumes past done cases."""
    for pair in report_progress(progress, pairs, len(pairs), lambda p: p.case):
        if writer.done(pair.case):
            continue
        if pair.label is None or not pair.label.exists():
            writer.skip(pair.image, "no label file" + (f" {pair.label.name}" if pair.label else ""))
            continue
        try:
            image, labels = read_nifti(pair.image), read_nifti(pair.label, nan_as_air=False)
        except InputError as error:
            writer.skip(error.path, error.reason)
            continue
        values, why = remap_labels(np.asarray(labels.array), mapping)
        if values is None:
            writer.skip(pair.label, why)
            continue
        aligned, note = labels_on_image_grid(labels.with_array(values), image)
        if aligned is None:
            writer.skip(pair.label, note)
            continue
        writer.add_labelled(pair.case, image, aligned, source=pair.image.relative_to(source), split=pair.split,
                            notes=[note] if note else [])
