"""Percentile-bootstrap confidence intervals (SciPy's implementation, seeded)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[..., float] = np.mean,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` over ``values`` (NaN-free).

    One value gives a degenerate interval ``(v, v)``.

    Example:
        >>> low, high = bootstrap_ci([0.7, 0.8, 0.9, 0.85, 0.75], seed=1)
        >>> bool(0.7 <= low < 0.8 < high <= 0.9)
        True
    """
    array = np.asarray(values, float)
    if array.size == 0:
        raise ValueError("bootstrap needs at least one value")
    if np.isnan(array).any():
        raise ValueError("bootstrap values contain NaN; exclude them first and report how many")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if array.size == 1 or np.all(array == array[0]):
        value = float(statistic(array))
        return value, value
    result = stats.bootstrap(
        (array,), statistic, n_resamples=n_resamples, confidence_level=level, method="percentile",
        rng=np.random.default_rng(seed), vectorized=True, axis=-1,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
