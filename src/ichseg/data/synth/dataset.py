"""``generate_dataset``: many synthetic cases written in the project's dataset format,
with ``cases.csv`` (per case: anatomy, true volume per class, lesion count, every
generator parameter) and ``slice_labels.csv`` (per slice, which types are present)."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import ndimage

from ...labels import LABELS, LESION_CONNECTIVITY
from ..dataset_format import DatasetWriter, dataset_json
from .generator import SynthConfig, generate_case, generate_on_base

CLASS_NAMES = [name for value, name in LABELS.items() if value]


def case_row(case_id: str, case, split: str) -> dict:
    """The cases.csv row: true volumes are label voxel counts x voxel volume."""
    labels = case.labels.array
    voxel_ml = case.labels.voxel_volume_ml
    counts = np.bincount(labels.ravel(), minlength=len(LABELS))
    row = {"case": case_id, "split": split, "anatomy": case.parameters["anatomy"]}
    for value, name in LABELS.items():
        if value:
            row[f"{name}_ml"] = round(float(counts[value] * voxel_ml), 4)
    blood = np.isin(labels, [1, 2, 3, 4, 5])
    row["any_hemorrhage_ml"] = round(float(blood.sum() * voxel_ml), 4)
    row["n_lesions"] = int(ndimage.label(blood, LESION_CONNECTIVITY)[1]) if blood.any() else 0
    row.update({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in case.parameters.items()})
    row["mass_effect_mm"] = max((lesion.get("mass_effect_mm", 0.0) for lesion in case.lesions), default=0.0)
    row["lesions"] = json.dumps(case.lesions)
    return row


def slice_rows(case_id: str, labels: np.ndarray) -> list[dict]:
    """Per axial slice: 0/1 presence of each class (weak labels)."""
    present = np.stack([(labels == value).any(axis=(0, 1)) for value in range(1, len(LABELS))], axis=1)
    return [{"case": case_id, "slice": k, **{name: int(present[k, i]) for i, name in enumerate(CLASS_NAMES)},
             "any": int(present[k, :5].any())} for k in range(labels.shape[2])]


def generate_dataset(out: str | Path, n_cases: int, seed: int, config: SynthConfig | None = None, *,
                     n_unlabeled: int = 0, n_weak: int = 0, bases: Sequence[str | Path] = (),
                     base_fraction: float = 0.5, weak_negative_fraction: float | None = None,
                     progress=None) -> dict:
    """Write ``n_cases`` labelled, ``n_unlabeled`` unlabelled and ``n_weak`` slice-labelled
    cases (images in ``imagesUnlabeled/``, their slices in ``slice_labels.csv``); returns
    dataset.json.

    ``weak_negative_fraction`` gives the slice-labelled cases their own share without blood
    (BHSD's weakly labelled volumes are about half negative); ``None``: the config's.

    Case ``k`` uses seed ``seed * 100003 + k``, so one case can be regenerated alone. With
    ``bases``, a ``base_fraction`` of the cases insert hemorrhages into those real scans
    (taken in turn), the rest use procedural heads.
    """
    config = config or SynthConfig()
    if not 0 <= base_fraction <= 1:
        raise ValueError(f"base_fraction must be in [0, 1], got {base_fraction}")
    if weak_negative_fraction is not None and not 0 <= weak_negative_fraction <= 1:
        raise ValueError(f"weak_negative_fraction must be in [0, 1], got {weak_negative_fraction}")
    weak_config = (config if weak_negative_fraction is None
                   else dataclasses.replace(config, negative_fraction=weak_negative_fraction))
    writer = DatasetWriter(out)
    rows, slices = [], []
    total = n_cases + n_unlabeled + n_weak
    for k in range(total):
        case_seed = seed * 100003 + k
        use_base = bool(bases) and np.random.default_rng([seed, k]).random() < base_fraction
        kind = "labelled" if k < n_cases else "unlabeled" if k < n_cases + n_unlabeled else "weak"
        case_config = weak_config if kind == "weak" else config
        if use_base:
            case = generate_on_base(case_seed, str(bases[k % len(bases)]), case_config)
        else:
            case = generate_case(case_seed, case_config)
        case_id = f"synth_{seed:04d}_{k:04d}"
        if kind == "labelled":
            writer.write_labelled(case_id, case.image, case.labels)
        else:
            writer.write_unlabeled(case_id, case.image)
        if kind != "unlabeled":
            slices.extend(slice_rows(case_id, case.labels.array))
        rows.append(case_row(case_id, case, kind))
        if progress:
            progress(k + 1, total)
    root = Path(out)
    for name, table in (("cases.csv", rows), ("slice_labels.csv", slices)):
        if table:
            columns = list(dict.fromkeys(key for row in table for key in row))
            with open(root / name, "w", newline="") as stream:
                writer_csv = csv.DictWriter(stream, fieldnames=columns)
                writer_csv.writeheader()
                writer_csv.writerows(table)
    description = dataset_json(f"ichseg-synth-{seed}", n_cases, n_unlabeled + n_weak,
                               f"synthetic head CT with hemorrhage, ichseg synth seed {seed}")
    writer.write_description(description)
    return description
