"""Class consistency where anatomy makes it certain: perihematomal edema surrounds a
hematoma, so an edema component that touches no IPH is not PHE."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..labels import IPH, LESION_CONNECTIVITY, PHE


def drop_edema_without_hematoma(labels: np.ndarray) -> np.ndarray:
    """Set to 0 every PHE component not adjacent (26-neighbourhood) to IPH.

    Example:
        >>> labels = np.zeros((12, 12, 3), np.uint8)
        >>> labels[2:5, 2:5, 1] = 1; labels[5, 2:5, 1] = 6; labels[9:11, 9:11, 1] = 6
        >>> out = drop_edema_without_hematoma(labels)
        >>> int((out == 6).sum())
        3
    """
    if not (labels == PHE).any():
        return labels.copy()
    out = labels.copy()
    components, n = ndimage.label(labels == PHE, LESION_CONNECTIVITY)
    near_hematoma = ndimage.binary_dilation(labels == IPH, LESION_CONNECTIVITY)
    touching = np.unique(components[near_hematoma & (components > 0)])
    isolated = np.setdiff1d(np.arange(1, n + 1), touching)
    if isolated.size:
        out[np.isin(components, isolated)] = 0
    return out
