"""CT intensity normalisation as nnU-Net does it.

Statistics come from the *foreground* (labelled) voxels of a training set: clip to their
0.5 and 99.5 percentiles, subtract their mean, divide by their standard deviation. The
statistics are saved with the plan and reused unchanged at inference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

SAMPLES_PER_CASE = 10_000


@dataclass(frozen=True)
class CTIntensityStatistics:
    """Foreground HU statistics of a dataset (JSON-ready with :meth:`to_dict`)."""

    mean: float
    std: float
    percentile_00_5: float
    percentile_99_5: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> CTIntensityStatistics:
        return cls(**{k: float(values[k]) for k in ("mean", "std", "percentile_00_5", "percentile_99_5")})


def collect_foreground_statistics(
    cases: Iterable[tuple[np.ndarray, np.ndarray]], *, samples_per_case: int = SAMPLES_PER_CASE, seed: int = 1234
) -> CTIntensityStatistics:
    """Statistics of HU values under the label masks of ``(image, label)`` pairs.

    Up to ``samples_per_case`` foreground voxels are drawn per case (seeded) so that
    large cases do not dominate and memory stays small.

    Raises:
        ValueError: no case has any foreground voxel.
    """
    rng = np.random.default_rng(seed)
    samples = []
    for image, label in cases:
        values = np.asarray(image)[np.asarray(label) > 0]
        if values.size > samples_per_case:
            values = rng.choice(values, samples_per_case, replace=False)
        samples.append(values.astype(np.float64))
    pooled = np.concatenate(samples) if samples else np.empty(0)
    if pooled.size == 0:
        raise ValueError("no foreground voxels: CT statistics need labelled cases")
    low, high = np.percentile(pooled, [0.5, 99.5])
    return CTIntensityStatistics(float(pooled.mean()), float(pooled.std()), float(low), float(high))


def normalize_ct(array: np.ndarray, statistics: CTIntensityStatistics) -> np.ndarray:
    """Clip to the foreground percentiles, then z-score with the foreground mean/std.

    Example:
        >>> stats = CTIntensityStatistics(mean=50.0, std=10.0, percentile_00_5=20.0, percentile_99_5=90.0)
        >>> normalize_ct(np.array([-1000.0, 50.0, 1000.0]), stats).tolist()
        [-3.0, 0.0, 4.0]
    """
    out = np.clip(np.asarray(array, dtype=np.float32), statistics.percentile_00_5, statistics.percentile_99_5)
    out -= np.float32(statistics.mean)
    out /= np.float32(max(statistics.std, 1e-8))
    return out
