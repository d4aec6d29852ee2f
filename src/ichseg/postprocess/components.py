"""Remove connected components smaller than a volume (isolated false-positive specks)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..labels import LESION_CONNECTIVITY


def remove_small_components(labels: np.ndarray, spacing: Sequence[float], min_ml: float) -> np.ndarray:
    """Set to 0 every component (per class, 26-connected) smaller than ``min_ml``.

    Example:
        >>> labels = np.zeros((10, 10, 4), np.uint8); labels[1:6, 1:6, 1:3] = 1; labels[8, 8, 0] = 1
        >>> cleaned = remove_small_components(labels, (1.0, 1.0, 5.0), min_ml=0.1)
        >>> int(cleaned.sum()), int(cleaned[8, 8, 0])
        (50, 0)
    """
    out = labels.copy()
    voxel_ml = float(np.prod(spacing)) / 1000
    min_voxels = min_ml / voxel_ml
    for value in np.unique(labels):
        if value == 0:
            continue
        components, n = ndimage.label(labels == value, LESION_CONNECTIVITY)
        sizes = np.bincount(components.ravel(), minlength=n + 1)
        small = np.flatnonzero(sizes < min_voxels)
        small = small[small > 0]
        if small.size:
            out[np.isin(components, small)] = 0
    return out
