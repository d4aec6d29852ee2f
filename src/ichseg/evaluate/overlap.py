"""Voxel-overlap metrics from the confusion counts of two masks.

Dice, IoU (Jaccard), sensitivity (recall), specificity, precision, accuracy, relative
volume difference (RVD, signed and absolute) and volumes in mL. Dice and IoU follow the
:class:`~ichseg.evaluate.policy.EmptyMaskPolicy`; sensitivity and RVD are undefined
(NaN, counted as excluded) with an empty reference, precision with an empty prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .policy import EmptyMaskPolicy

NAN = float("nan")


@dataclass(frozen=True)
class ConfusionCounts:
    """Voxel counts of a binary prediction against a binary reference."""

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def from_masks(cls, pred: np.ndarray, ref: np.ndarray) -> ConfusionCounts:
        pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
        tp = int(np.count_nonzero(pred & ref))
        n_pred, n_ref = int(np.count_nonzero(pred)), int(np.count_nonzero(ref))
        return cls(tp, n_pred - tp, n_ref - tp, int(pred.size - n_pred - n_ref + tp))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else NAN


def compute_overlap_metrics(
    pred: np.ndarray, ref: np.ndarray, spacing: Sequence[float], policy: EmptyMaskPolicy = EmptyMaskPolicy()
) -> dict[str, float]:
    """All overlap metrics of a binary pair as a dict (volumes in mL).

    Example:
        >>> import numpy as np
        >>> ref = np.zeros((10, 10, 10), bool); ref[:5] = True
        >>> pred = np.zeros_like(ref); pred[:4] = True
        >>> metrics = compute_overlap_metrics(pred, ref, spacing=(1, 1, 1))
        >>> round(metrics["dice"], 4), metrics["sensitivity"], metrics["rvd"]
        (0.8889, 0.8, -0.2)
    """
    counts = ConfusionCounts.from_masks(pred, ref)
    voxel_ml = float(np.prod(np.asarray(spacing, float))) / 1000.0
    pred_voxels, ref_voxels = counts.tp + counts.fp, counts.tp + counts.fn
    fixed = policy.overlap_value(pred_voxels == 0, ref_voxels == 0)
    dice = fixed if fixed is not None else 2 * counts.tp / (pred_voxels + ref_voxels)
    iou = fixed if fixed is not None else counts.tp / (counts.tp + counts.fp + counts.fn)
    rvd = _ratio(pred_voxels - ref_voxels, ref_voxels)
    return {
        "dice": float(dice),
        "iou": float(iou),
        "sensitivity": _ratio(counts.tp, ref_voxels),
        "specificity": _ratio(counts.tn, counts.tn + counts.fp),
        "precision": _ratio(counts.tp, pred_voxels),
        "accuracy": _ratio(counts.tp + counts.tn, counts.tp + counts.fp + counts.fn + counts.tn),
        "rvd": rvd,
        "abs_rvd": abs(rvd),
        "pred_volume_ml": pred_voxels * voxel_ml,
        "ref_volume_ml": ref_voxels * voxel_ml,
        "volume_difference_ml": (pred_voxels - ref_voxels) * voxel_ml,
        "tp_voxels": counts.tp,
        "fp_voxels": counts.fp,
        "fn_voxels": counts.fn,
    }


class OverlapMetrics:
    """Callable metric object for :func:`compute_overlap_metrics`."""

    def __init__(self, *, policy: EmptyMaskPolicy = EmptyMaskPolicy()) -> None:
        self.policy = policy

    def __call__(self, pred: np.ndarray, ref: np.ndarray, spacing: Sequence[float]) -> dict[str, float]:
        return compute_overlap_metrics(pred, ref, spacing, self.policy)
