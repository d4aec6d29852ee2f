"""Average symmetric surface distance (ASSD) in mm.

The mean of all directed boundary-to-boundary distances in both directions (the same
boundary voxels as :mod:`~ichseg.evaluate.hausdorff`). Empty masks follow the policy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .boundary_distances import directed_boundary_distances
from .policy import EmptyMaskPolicy


def compute_average_surface_distance(
    pred: np.ndarray, ref: np.ndarray, spacing: Sequence[float], policy: EmptyMaskPolicy = EmptyMaskPolicy()
) -> float:
    """ASSD between two binary masks in mm.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((20, 20, 5), bool); a[5:10, 5:10, 1:4] = True
        >>> compute_average_surface_distance(a, a, spacing=(0.5, 0.5, 5.0))
        0.0
    """
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    fixed = policy.distance_value(not pred.any(), not ref.any(), pred.shape, spacing)
    if fixed is not None:
        return fixed
    return assd_from_distances(*directed_boundary_distances(pred, ref, spacing))


def assd_from_distances(pred_to_ref: np.ndarray, ref_to_pred: np.ndarray) -> float:
    """ASSD from both directed boundary distances (both non-empty): the mean over all of them.

    Example:
        >>> assd_from_distances(np.array([0.0, 1.0, 2.0]), np.array([5.0]))
        2.0
    """
    return float((pred_to_ref.sum() + ref_to_pred.sum()) / (pred_to_ref.size + ref_to_pred.size))


class AverageSurfaceDistance:
    """Callable metric object for :func:`compute_average_surface_distance`."""

    def __init__(self, *, policy: EmptyMaskPolicy = EmptyMaskPolicy()) -> None:
        self.policy = policy

    def __call__(self, pred: np.ndarray, ref: np.ndarray, spacing: Sequence[float]) -> float:
        return compute_average_surface_distance(pred, ref, spacing, self.policy)
