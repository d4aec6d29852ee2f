"""Hausdorff distance (HD, and percentile variants such as HD95) in mm.

Boundary voxels (6-connected, at voxel centres) of both masks; the directed distances
from each boundary to the other; the result is the larger of the two directed
``percentile``-th percentiles (100 = classic Hausdorff, as INSTANCE 2022 scores).
Empty masks follow the :class:`~ichseg.evaluate.policy.EmptyMaskPolicy`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .boundary_distances import directed_boundary_distances
from .policy import EmptyMaskPolicy


def compute_hausdorff_distance(
    pred: np.ndarray,
    ref: np.ndarray,
    spacing: Sequence[float],
    percentile: float = 100.0,
    policy: EmptyMaskPolicy = EmptyMaskPolicy(),
) -> float:
    """Symmetric (percentile) Hausdorff distance between two binary masks, in mm.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((20, 20, 5), bool); a[5:10, 5:10, 1:4] = True
        >>> b = np.roll(a, 3, axis=0)
        >>> compute_hausdorff_distance(a, b, spacing=(0.5, 0.5, 5.0))
        1.5
        >>> compute_hausdorff_distance(a, np.zeros_like(a), (1, 1, 1), policy=EmptyMaskPolicy(worst_distance_mm=100))
        100.0
    """
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    fixed = policy.distance_value(not pred.any(), not ref.any(), pred.shape, spacing)
    if fixed is not None:
        return fixed
    return hausdorff_from_distances(*directed_boundary_distances(pred, ref, spacing), percentile)


def hausdorff_from_distances(pred_to_ref: np.ndarray, ref_to_pred: np.ndarray, percentile: float = 100.0) -> float:
    """The (percentile) Hausdorff distance from both directed boundary distances (both non-empty).

    Example:
        >>> hausdorff_from_distances(np.array([0.0, 1.0, 4.0]), np.array([2.0]))
        4.0
    """
    return float(max(np.percentile(pred_to_ref, percentile), np.percentile(ref_to_pred, percentile)))


class HausdorffDistance:
    """Callable metric object: ``HausdorffDistance(percentile=95)(pred, ref, spacing)``."""

    def __init__(self, *, percentile: float = 100.0, policy: EmptyMaskPolicy = EmptyMaskPolicy()) -> None:
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {percentile}")
        self.percentile = percentile
        self.policy = policy

    def __call__(self, pred: np.ndarray, ref: np.ndarray, spacing: Sequence[float]) -> float:
        return compute_hausdorff_distance(pred, ref, spacing, self.percentile, self.policy)
