"""Slice-level detection, the unit of 2D protocols (CT-ICH, BHSD weak labels).

A slice (along ``axis``, axial by default) is positive when it holds at least
``min_voxels`` voxels of the class. Sensitivity is undefined (NaN) without positive
reference slices, specificity without negative ones.
"""

from __future__ import annotations

import numpy as np


def compute_slice_detection(pred: np.ndarray, ref: np.ndarray, *, axis: int = 2,
                            min_voxels: int = 1) -> dict[str, float]:
    """Slice-wise TP/FP/FN/TN and sensitivity, specificity, accuracy, F1.

    Example:
        >>> import numpy as np
        >>> ref = np.zeros((4, 4, 4), bool); ref[..., 1:3] = True
        >>> pred = np.zeros_like(ref); pred[..., 2:4] = True
        >>> compute_slice_detection(pred, ref)["slice_sensitivity"]
        0.5
    """
    other = tuple(a for a in range(3) if a != axis)
    pred_positive = np.count_nonzero(pred, axis=other) >= min_voxels
    ref_positive = np.count_nonzero(ref, axis=other) >= min_voxels
    tp = int(np.sum(pred_positive & ref_positive))
    fp = int(np.sum(pred_positive & ~ref_positive))
    fn = int(np.sum(~pred_positive & ref_positive))
    tn = int(np.sum(~pred_positive & ~ref_positive))
    nan = float("nan")
    return {
        "slice_tp": tp,
        "slice_fp": fp,
        "slice_fn": fn,
        "slice_tn": tn,
        "slice_sensitivity": tp / (tp + fn) if tp + fn else nan,
        "slice_specificity": tn / (tn + fp) if tn + fp else nan,
        "slice_accuracy": (tp + tn) / (tp + fp + fn + tn),
        "slice_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else nan,
    }
