"""Lesion-wise detection: connected components matched by overlap.

A reference lesion (26-connected component) is detected when predicted voxels cover at
least ``min_overlap`` of it (default: any voxel); a predicted lesion overlapping no
reference lesion is a false positive. F1 = 2 TP / (2 TP + FP + FN); with no lesion on
either side F1 is undefined (NaN, excluded and counted).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..labels import LESION_CONNECTIVITY


def compute_lesion_detection(
    pred: np.ndarray, ref: np.ndarray, *, min_overlap: float = 0.0, min_lesion_voxels: int = 1
) -> dict[str, float]:
    """Lesion counts and detection scores of a binary pair.

    Args:
        min_overlap: fraction of a reference lesion that must be predicted to detect it
            (0 means any overlapping voxel).
        min_lesion_voxels: components smaller than this are ignored on both sides.

    Example:
        >>> import numpy as np
        >>> ref = np.zeros((20, 20, 4), bool); ref[2:5, 2:5, 1] = True; ref[12:15, 12:15, 2] = True
        >>> pred = np.zeros_like(ref); pred[3:5, 3:5, 1] = True; pred[8, 18, 3] = True
        >>> compute_lesion_detection(pred, ref)["lesion_f1"]
        0.5
    """
    if not 0.0 <= min_overlap <= 1.0:
        raise ValueError(f"min_overlap must be in [0, 1], got {min_overlap}")
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    ref_labels, n_ref = ndimage.label(ref, LESION_CONNECTIVITY)
    pred_labels, n_pred = ndimage.label(pred, LESION_CONNECTIVITY)
    ref_sizes = np.bincount(ref_labels.ravel(), minlength=n_ref + 1)
    pred_sizes = np.bincount(pred_labels.ravel(), minlength=n_pred + 1)
    ref_kept = np.flatnonzero(ref_sizes[1:] >= min_lesion_voxels) + 1
    pred_kept = np.flatnonzero(pred_sizes[1:] >= min_lesion_voxels) + 1
    covered = np.bincount(ref_labels[pred], minlength=n_ref + 1)  # predicted voxels per ref lesion
    needed = np.maximum(1, np.ceil(min_overlap * ref_sizes))
    detected = ref_kept[covered[ref_kept] >= needed[ref_kept]]
    touching = np.zeros(n_pred + 1, bool)
    touching[np.unique(pred_labels[ref & pred])] = True
    false_positive = pred_kept[~touching[pred_kept]]
    tp, fn, fp = len(detected), len(ref_kept) - len(detected), len(false_positive)
    f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else float("nan")
    return {
        "lesions_ref": len(ref_kept),
        "lesions_pred": len(pred_kept),
        "lesion_tp": tp,
        "lesion_fp": fp,
        "lesion_fn": fn,
        "lesion_f1": f1,
    }


class LesionDetection:
    """Callable metric object for :func:`compute_lesion_detection`."""

    def __init__(self, *, min_overlap: float = 0.0, min_lesion_voxels: int = 1) -> None:
        self.min_overlap = min_overlap
        self.min_lesion_voxels = min_lesion_voxels

    def __call__(self, pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
        return compute_lesion_detection(
            pred, ref, min_overlap=self.min_overlap, min_lesion_voxels=self.min_lesion_voxels
        )
