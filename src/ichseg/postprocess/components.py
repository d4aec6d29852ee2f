"""Remove connected components smaller than a volume (isolated false-positive specks)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..labels import LESION_CONNECTIVITY


def _remove_small(out: np.ndarray, mask: np.ndarray, min_voxels: float) -> None:
    components, n = ndimage.label(mask, LESION_CONNECTIVITY)
    sizes = np.bincount(components.ravel(), minlength=n + 1)
    small = np.flatnonzero(sizes < min_voxels)
    small = small[small > 0]
    if small.size:
        out[np.isin(components, small)] = 0


def remove_small_components(labels: np.ndarray, spacing: Sequence[float], min_ml: float, *,
                            per_class: bool = True) -> np.ndarray:
    """Set to 0 every component (26-connected) smaller than ``min_ml``.

    ``per_class=True`` measures each class's components on their own; ``per_class=False``
    measures lesions: the components of all labels together, so that a bleed whose
    voxels the network split between two types (IPH and IVH at a ventricle wall, say)
    counts at its whole size, and each of its parts keeps its label.

    Example:
        >>> labels = np.zeros((10, 10, 4), np.uint8); labels[1:6, 1:6, 1:3] = 1; labels[8, 8, 0] = 1
        >>> cleaned = remove_small_components(labels, (1.0, 1.0, 5.0), min_ml=0.1)
        >>> int(cleaned.sum()), int(cleaned[8, 8, 0])
        (50, 0)
        >>> labels[1:6, 1:6, 2] = 2  # the same bleed, its upper half called IVH: 0.125 mL each
        >>> int((remove_small_components(labels, (1.0, 1.0, 5.0), 0.2) > 0).sum())
        0
        >>> int((remove_small_components(labels, (1.0, 1.0, 5.0), 0.2, per_class=False) > 0).sum())
        50
    """
    out = labels.copy()
    min_voxels = min_ml / (float(np.prod(spacing)) / 1000)
    if not per_class:
        _remove_small(out, labels > 0, min_voxels)
        return out
    for value in np.unique(labels):
        if value:
            _remove_small(out, labels == value, min_voxels)
    return out
