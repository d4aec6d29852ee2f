"""Class consistency where anatomy makes it certain: perihematomal edema surrounds a
hematoma, so an edema component that touches no IPH is not PHE; and a hematoma in the
brain is not partly outside it, so the extra-axial part of a lesion that is mostly IPH is IPH."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..labels import EDH, HEMORRHAGE_LABELS, IPH, LESION_CONNECTIVITY, PHE, SDH


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


def extra_axial_parts_of_iph_to_iph(labels: np.ndarray) -> np.ndarray:
    """Relabel EDH and SDH as IPH inside every lesion (connected blood, 26-neighbourhood)
    that holds more IPH than EDH and SDH together.

    Why: the network types blood from a patch's look, and the part of a large clot that
    lies against the inner table looks like an extra-axial collection; an EDH or SDH that
    is smaller than the parenchymal clot it is fused with is that clot's edge. IVH and SAH
    are kept: an IPH extending into the ventricles is a finding of its own.

    Example:
        >>> labels = np.zeros((12, 12, 3), np.uint8)
        >>> labels[2:8, 2:8, 1] = 1; labels[8, 2:8, 1] = 5; labels[10, 2:8, 1] = 4
        >>> out = extra_axial_parts_of_iph_to_iph(labels)
        >>> int((out == 5).sum()), int((out == 4).sum())
        (0, 6)
    """
    extra_axial = np.isin(labels, (EDH, SDH))
    if not (extra_axial.any() and (labels == IPH).any()):
        return labels.copy()
    lesions, n = ndimage.label(np.isin(labels, HEMORRHAGE_LABELS), LESION_CONNECTIVITY)
    iph = ndimage.sum_labels(labels == IPH, lesions, np.arange(1, n + 1))
    outside = ndimage.sum_labels(extra_axial, lesions, np.arange(1, n + 1))
    mostly_iph = np.flatnonzero((iph > outside) & (outside > 0)) + 1
    out = labels.copy()
    out[extra_axial & np.isin(lesions, mostly_iph)] = IPH
    return out
