"""Agreement of two measurements of the same quantity (e.g. predicted vs reference
volume): Lin's concordance correlation coefficient and Bland-Altman bias and limits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _pairs(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, float), np.asarray(y, float)
    if a.shape != b.shape:
        raise ValueError("measurements must be paired (same length)")
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 2:
        raise ValueError("agreement needs at least two complete pairs")
    return a[keep], b[keep]


def concordance_correlation(x: ArrayLike, y: ArrayLike) -> float:
    """Lin's CCC = 2 s_xy / (s_x² + s_y² + (mean_x - mean_y)²), population moments (Lin 1989).

    Example:
        >>> concordance_correlation([1, 2, 3, 4, 5], [2, 3, 4, 5, 6])
        0.8
    """
    a, b = _pairs(x, y)
    covariance = np.mean((a - a.mean()) * (b - b.mean()))
    denominator = a.var() + b.var() + (a.mean() - b.mean()) ** 2
    return float(2 * covariance / denominator) if denominator > 0 else 1.0


def bland_altman(x: ArrayLike, y: ArrayLike, *, z: float = 1.96) -> dict[str, float]:
    """Bias (mean of x - y), SD of the differences and the 95% limits of agreement.

    Example:
        >>> result = bland_altman([10, 20, 30, 40], [9, 21, 28, 40])
        >>> result["bias"], round(result["sd"], 4)
        (0.5, 1.291)
    """
    a, b = _pairs(x, y)
    difference = a - b
    bias, sd = float(difference.mean()), float(difference.std(ddof=1))
    return {"n": int(a.size), "bias": bias, "sd": sd, "loa_low": bias - z * sd, "loa_high": bias + z * sd}
