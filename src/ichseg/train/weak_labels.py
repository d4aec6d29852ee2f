"""Slice-level (weak) labels as a training signal: BHSD's Task 3 and RSNA-2019's labels.

``slice_labels.csv`` says, per case and slice (the image file's third axis, from 0), which
hemorrhage types the slice shows (``""``: not labelled). Each slice is coded into a map on
the image's own grid, so that reorientation, resampling, cropping and spatial augmentation
carry it along with the image (nearest neighbour):

- 0: not labelled (no term);
- 1: labelled without blood: every voxel of the slice is supervised as background;
- 2 + mask: blood of the types in ``mask`` (bit ``k - 1`` for label ``k``: IPH .. EDH; mask 0:
  "some blood", type not given): a multiple-instance term asks the most likely voxel of the
  slice for each type to be of that type.

The positive term sees the slice inside the training patch only: where the patch misses the
blood it pulls towards a false voxel, so its weight is kept below the negative term's
(``POSITIVE_SHARE``); the negative term is exact for any patch.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from ..io import InputError, Volume
from ..labels import HEMORRHAGE_LABELS, LABELS

NOT_LABELLED, NEGATIVE, POSITIVE_BASE = 0, 1, 2
POSITIVE_SHARE = 0.25
TYPE_COLUMNS = {LABELS[value]: value for value in HEMORRHAGE_LABELS}


def slice_code(row: dict) -> int:
    """The code of one ``slice_labels.csv`` row.

    Example:
        >>> slice_code({"IPH": "0", "IVH": "0", "any": "0"}), slice_code({"IVH": "1", "any": "1"})
        (1, 4)
        >>> slice_code({"IPH": "", "any": ""}), slice_code({"any": "1"})
        (0, 2)
    """
    flags = {name: row.get(name, "") for name in (*TYPE_COLUMNS, "any")}
    if all(value in ("", None) for value in flags.values()):
        return NOT_LABELLED
    mask = sum(1 << (value - 1) for name, value in TYPE_COLUMNS.items() if flags[name] not in ("", None, "0"))
    if not mask and flags["any"] in ("", None, "0"):
        return NEGATIVE
    return POSITIVE_BASE + mask


def read_slice_codes(path: str | Path) -> dict[str, dict[int, int]]:
    """``{case: {slice: code}}`` of a ``slice_labels.csv`` (``{}`` when there is none).

    Raises:
        InputError: a table without ``case`` and ``slice`` columns, or a slice that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    codes: dict[str, dict[int, int]] = {}
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        if not {"case", "slice"} <= set(reader.fieldnames or ()):
            raise InputError(path, "a slice label table needs case and slice columns")
        for row in reader:
            try:
                index = int(row["slice"])
            except ValueError:
                raise InputError(path, f"slice {row['slice']!r} of case {row['case']} is not a number") from None
            codes.setdefault(row["case"], {})[index] = slice_code(row)
    return codes


def slice_code_volume(image: Volume, codes: dict[int, int]) -> Volume:
    """The codes as a map on ``image``'s grid (slices along its third axis)."""
    depth = image.array.shape[2]
    column = np.zeros(depth, np.uint8)
    for index, code in codes.items():
        if 0 <= index < depth:
            column[index] = code
    return image.with_array(np.broadcast_to(column, image.array.shape[:3]).copy())


def weak_slice_loss(logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """The weak term of a batch: logits ``(B, C, *spatial)``, codes ``(B, 1, *spatial)``; the
    last spatial axis is the slice axis (a 2D patch is one slice). 0 when nothing is labelled.

    Example:
        >>> logits = torch.zeros(1, 7, 4, 4, 2); logits[:, 0] = 5.0       # sure of background
        >>> codes = torch.ones(1, 1, 4, 4, 2, dtype=torch.uint8)          # negative slices
        >>> float(weak_slice_loss(logits, codes)) < 0.05
        True
    """
    codes = codes[:, 0].long()
    log_p = torch.log_softmax(logits.float(), dim=1)
    total = logits.new_zeros((), dtype=torch.float32)
    negative = codes == NEGATIVE
    if negative.any():
        total = total - log_p[:, 0][negative].mean()
    positive = codes >= POSITIVE_BASE
    if not positive.any():
        return total
    if logits.ndim == 4:  # 2D: one slice per sample
        log_p, codes = log_p.unsqueeze(-1), codes.unsqueeze(-1)
    terms = []
    flat_p = log_p.flatten(2, -2)  # (B, C, voxels of a slice, slices)
    flat_codes = codes.flatten(1, -2)  # (B, voxels, slices)
    for sample in range(codes.shape[0]):
        for index in range(codes.shape[-1]):
            code = int(flat_codes[sample, :, index].max())
            if code < POSITIVE_BASE:
                continue
            mask = code - POSITIVE_BASE
            wanted = [value for value in HEMORRHAGE_LABELS if mask & (1 << (value - 1))]
            slice_p = flat_p[sample, :, :, index]
            if wanted:
                terms += [-slice_p[value].max() for value in wanted]
            else:  # some blood, type not given: the most likely blood voxel of any type
                terms.append(-torch.logsumexp(slice_p[list(HEMORRHAGE_LABELS)], dim=0).max())
    if terms:
        total = total + POSITIVE_SHARE * torch.stack(terms).mean()
    return total
