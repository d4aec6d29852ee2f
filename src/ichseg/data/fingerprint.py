"""Dataset fingerprint: what the planner needs to know about a training set.

Per case (after RAS reorientation): shape, spacing, voxel count per class and lesion
count; over the set: foreground HU statistics (nnU-Net's CT scheme), how often each
class occurs and how large its components are. Plain JSON.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from ..io import read_volume
from ..labels import LABELS, LESION_CONNECTIVITY
from ..preprocess import collect_foreground_statistics, to_ras
from .dataset_format import list_dataset_cases, list_unlabelled_images


def case_fingerprint(case: str, image, labels) -> dict:
    """Shape, spacing, class voxel counts and class component sizes of one RAS case."""
    if image.shape != labels.shape:
        raise ValueError(f"{case}: image {image.shape} and labels {labels.shape} differ in shape")
    counts = np.bincount(labels.array.ravel(), minlength=len(LABELS))[: len(LABELS)]
    component_ml = {}
    for value, name in LABELS.items():
        if value and counts[value]:
            labelled, _n = ndimage.label(labels.array == value, LESION_CONNECTIVITY)
            sizes = np.bincount(labelled.ravel())[1:] * labels.voxel_volume_ml
            component_ml[name] = [round(float(s), 4) for s in sizes]
    return {
        "case": case, "shape": list(image.shape), "spacing": [round(float(s), 5) for s in image.spacing],
        "class_voxels": {name: int(counts[value]) for value, name in LABELS.items()},
        "component_ml": component_ml,
    }


def _slice_labelled_cases(dataset: str | Path) -> int:
    """Cases with rows in the dataset's ``slice_labels.csv`` (0 without one)."""
    path = Path(dataset) / "slice_labels.csv"
    if not path.is_file():
        return 0
    with open(path, newline="") as stream:
        return len({row["case"] for row in csv.DictReader(stream) if row.get("case")})


def extract_fingerprint(dataset: str | Path, *, seed: int = 1234, progress: bool = False) -> dict:
    """Fingerprint of a dataset folder (nnU-Net v2 layout); ``progress``: a bar over the cases
    (280 synthetic heads take about 2 minutes on 2 cores).

    Raises:
        InputError: not a dataset folder, or a case that cannot be read.
    """
    cases, foreground = [], []
    entries = list_dataset_cases(dataset)
    for entry in tqdm(entries, desc="fingerprint", unit="case", disable=not progress):
        image, labels = to_ras(read_volume(entry.image)), to_ras(read_volume(entry.label))
        labels = labels.with_array(np.rint(labels.array).astype(np.uint8))
        cases.append(case_fingerprint(entry.case, image, labels))
        foreground.append(image.array[labels.array > 0])  # only these voxels are kept, not whole scans
    try:
        statistics = collect_foreground_statistics([(v, np.ones(v.shape, np.uint8)) for v in foreground], seed=seed)
    except ValueError:
        # No labelled voxel at all: the intracranial soft-tissue range (the images read again, one at a time)
        images = (to_ras(read_volume(entry.image)).array for entry in entries)
        statistics = collect_foreground_statistics(((a, (a > 0) & (a < 100)) for a in images), seed=seed)
    del foreground
    n = len(cases)
    class_summary = {}
    for value, name in LABELS.items():
        if not value:
            continue
        sizes = [s for c in cases for s in c["component_ml"].get(name, [])]
        class_summary[name] = {
            "cases_with_class": sum(1 for c in cases if c["class_voxels"][name]),
            "voxel_fraction": float(sum(c["class_voxels"][name] for c in cases)
                                    / sum(sum(c["class_voxels"].values()) for c in cases)),
            "median_component_ml": float(np.median(sizes)) if sizes else 0.0,
        }
    spacings = np.array([c["spacing"] for c in cases])
    shapes = np.array([c["shape"] for c in cases])
    return {
        "dataset": str(Path(dataset).resolve().name), "n_cases": n,
        # the other kinds of data a dataset can hold (semi- and weakly supervised training)
        "n_unlabelled": len(list_unlabelled_images(dataset)), "n_slice_labelled": _slice_labelled_cases(dataset),
        "median_spacing": np.median(spacings, axis=0).round(5).tolist(),
        "median_shape": np.median(shapes, axis=0).round(1).tolist(),
        "foreground_intensity": statistics.to_dict(), "classes": class_summary, "cases": cases,
    }
