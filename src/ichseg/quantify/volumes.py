"""Per-class volumes, ABC/2, lesion counts and largest diameters of a label map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..labels import HEMORRHAGE_LABELS, IPH, IVH, LABELS, LESION_CONNECTIVITY
from ..preprocess.crop import bounding_box
from .abc2 import abc2_volume_ml

ICH_VOLUME_THRESHOLD_ML = 30.0  # the ICH score's hematoma-volume item (Hemphill et al. 2001)


def quantify_labels(labels: np.ndarray, spacing: Sequence[float]) -> dict:
    """The ``volumes.json`` content of a label map (schema of :mod:`ichseg.labels`).

    Per class: ``volume_ml`` (voxel count x voxel volume), ``abc2_ml`` (summed per lesion,
    see :mod:`ichseg.quantify.abc2`), ``n_lesions`` (26-connected components),
    ``max_diameter_mm`` (largest axial diameter A of its lesions). Top level:
    ``any_hemorrhage_ml`` (classes 1-5), ``ivh_present``, ``ich_volume_ge_30ml`` (IPH
    volume, the ICH score item). An empty map gives zeros and ``False``.

    Example:
        >>> labels = np.zeros((40, 40, 8), np.uint8); labels[10:20, 10:20, 2:4] = 1
        >>> result = quantify_labels(labels, (1.0, 1.0, 5.0))
        >>> result["IPH"]["volume_ml"], result["IPH"]["n_lesions"], result["any_hemorrhage_ml"]
        (1.0, 1, 1.0)
    """
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ValueError(f"labels must be 3D, got shape {labels.shape}")
    spacing = tuple(float(s) for s in spacing)
    voxel_ml = float(np.prod(spacing)) / 1000
    # lesions, their sizes and counts do not depend on the empty rest: the box alone is counted
    # (a 0.6 mm scan has ~75 M voxels; casting them all for bincount took 0.7 s)
    labelled_any = labels > 0
    if labelled_any.any():
        labels = labels[bounding_box(labelled_any)]
        counts = np.bincount(labels.ravel(), minlength=len(LABELS))
    else:
        counts = np.zeros(len(LABELS), np.int64)
    result: dict = {}
    for value, name in LABELS.items():
        if value == 0:
            continue
        entry = {"volume_ml": round(float(counts[value]) * voxel_ml, 3), "abc2_ml": 0.0, "n_lesions": 0,
                 "max_diameter_mm": 0.0}
        if counts[value]:
            labelled, n = ndimage.label(labels == value, LESION_CONNECTIVITY)
            abc2, largest = abc2_volume_ml(labelled, n, spacing)
            entry.update(abc2_ml=round(abc2, 3), n_lesions=int(n), max_diameter_mm=round(largest, 2))
        result[name] = entry
    any_ml = float(sum(counts[v] for v in HEMORRHAGE_LABELS)) * voxel_ml
    return {
        "any_hemorrhage_ml": round(any_ml, 3),
        **result,
        "ivh_present": bool(counts[IVH] > 0),
        "ich_volume_ge_30ml": bool(counts[IPH] * voxel_ml >= ICH_VOLUME_THRESHOLD_ML),
        "spacing_mm": list(spacing),
    }
