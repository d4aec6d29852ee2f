"""Optional in-plane smoothing of label boundaries (binary opening per class)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

IN_PLANE = np.zeros((3, 3, 3), bool)
IN_PLANE[:, :, 1] = ndimage.generate_binary_structure(2, 1)


def smooth_labels(labels: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Binary opening of each class with a 2D cross (thick slices: no smoothing across them).

    Example:
        >>> labels = np.zeros((9, 9, 1), np.uint8); labels[2:7, 2:7, 0] = 2; labels[0, 0, 0] = 2
        >>> smoothed = smooth_labels(labels)
        >>> int(smoothed[0, 0, 0]), int(smoothed[4, 4, 0])
        (0, 2)
    """
    out = np.zeros_like(labels)
    for value in np.unique(labels):
        if value == 0:
            continue
        opened = ndimage.binary_opening(labels == value, IN_PLANE, iterations=iterations)
        out[opened] = value
    return out
