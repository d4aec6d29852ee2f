"""How sure each volume is: a per-voxel uncertainty map and a calibrated interval per type.

- **Uncertainty map**: the entropy of the class probabilities averaged over the
  test-time-augmentation passes (and ensemble members), divided by ``log K`` so that 0 is
  certain and 1 is all classes equally likely.
- **Uncertain volume** ``u`` of a type: the volume of voxels whose probability of that
  type lies between 0.1 and 0.9 (the band where the label could go either way).
- **Volume interval** (split conformal prediction, Vovk et al. 2005; Romano et al. 2019's
  normalised form): on labelled calibration cases the scaled residuals
  ``r = (V_true - V) / (u + floor)`` are collected per type; the interval of a new case
  is ``[V + q_low * (u + floor), V + q_high * (u + floor)]`` (clipped at 0), with
  ``q_low`` and ``q_high`` the finite-sample ``alpha/2`` and ``1 - alpha/2`` quantiles of
  the calibration residuals. If calibration and new cases are exchangeable (drawn alike),
  the true volume lies inside in at least ``1 - alpha`` of cases; the residuals also
  absorb the model's bias (an under-segmenting model gets an interval shifted upwards).
  Coverage on other data must be measured, not assumed (``benchmarks/uncertainty_bench.py``).

Example:
    >>> calibration = VolumeCalibration.fit({"IPH": [(10.0, 8.0, 2.0), (5.0, 5.0, 1.0), (0.0, 0.0, 0.0)] * 10},
    ...                                     alpha=0.2)
    >>> calibration.interval("IPH", 8.0, 2.0)
    [8.0, 10.0]
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

UNCERTAIN_BAND = (0.1, 0.9)
FLOOR_ML = 0.5  # keeps the interval of a type predicted absent from being a single point
FORMAT_VERSION = 1


def entropy_map(probabilities: np.ndarray) -> np.ndarray:
    """Normalised entropy (float32, 0..1) of ``(K, ...)`` probabilities over the first axis.

    Example:
        >>> entropy_map(np.array([[1.0, 0.5], [0.0, 0.5]])).round(3).tolist()
        [0.0, 1.0]
    """
    entropy = np.zeros(probabilities.shape[1:], np.float32)
    for channel in probabilities:  # one class at a time: no copy of the whole volume's probabilities
        p = np.maximum(channel, np.float32(1e-7), dtype=np.float32)
        entropy -= p * np.log(p)
    entropy /= np.float32(math.log(probabilities.shape[0]))
    return np.clip(entropy, 0.0, 1.0, out=entropy)


def uncertain_volumes_ml(probabilities: np.ndarray, voxel_ml: float) -> list[float]:
    """Per class (index = label value) the volume whose probability lies in :data:`UNCERTAIN_BAND`."""
    low, high = UNCERTAIN_BAND
    return [float(np.count_nonzero((channel >= low) & (channel <= high))) * voxel_ml for channel in probabilities]


def _conformal_quantiles(residuals: np.ndarray, alpha: float) -> tuple[float, float]:
    """Finite-sample lower and upper quantiles: the ``ceil((n + 1)(1 - alpha/2))``-th value
    from each end (infinite when there are too few cases for that level)."""
    ordered = np.sort(residuals)
    n = len(ordered)
    rank = math.ceil((n + 1) * (1 - alpha / 2))
    if rank > n:
        return -math.inf, math.inf
    return float(ordered[n - rank]), float(ordered[rank - 1])


@dataclass(frozen=True)
class VolumeCalibration:
    """Per type ``(q_low, q_high)`` of the scaled residuals, and how they were obtained."""

    quantiles: dict[str, tuple[float, float]]
    alpha: float = 0.1
    floor_ml: float = FLOOR_ML
    source: dict = field(default_factory=dict)

    @classmethod
    def fit(cls, cases: Mapping[str, Iterable[tuple[float, float, float]]], *, alpha: float = 0.1,
            floor_ml: float = FLOOR_ML, source: dict | None = None) -> VolumeCalibration:
        """From ``{type: [(true_ml, predicted_ml, uncertain_ml), ...]}`` of calibration cases."""
        quantiles = {}
        for name, rows in cases.items():
            residuals = np.array([(true - predicted) / (uncertain + floor_ml) for true, predicted, uncertain in rows])
            quantiles[name] = _conformal_quantiles(residuals, alpha)
        return cls(quantiles, alpha, floor_ml, dict(source or {}))

    def interval(self, name: str, predicted_ml: float, uncertain_ml: float) -> list[float] | None:
        """``[low, high]`` in mL (rounded to 0.01), or None for a type without calibration."""
        if name not in self.quantiles:
            return None
        q_low, q_high = self.quantiles[name]
        scale = uncertain_ml + self.floor_ml
        low, high = max(0.0, predicted_ml + q_low * scale), max(0.0, predicted_ml + q_high * scale)
        return [round(low, 2), round(high, 2)] if math.isfinite(low) and math.isfinite(high) else None

    def to_dict(self) -> dict:
        return {"format_version": FORMAT_VERSION, "method": "split conformal, scaled residuals",
                "coverage": 1 - self.alpha, "alpha": self.alpha, "floor_ml": self.floor_ml,
                "uncertain_band": list(UNCERTAIN_BAND),
                # too few cases for the level: the bound is infinite, written as null
                "quantiles": {k: [x if math.isfinite(x) else None for x in v] for k, v in self.quantiles.items()},
                "source": self.source}

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "uncertainty.json") -> VolumeCalibration:
        try:
            if data["format_version"] != FORMAT_VERSION:
                raise ValueError(f"format_version {data['format_version']} (this ichseg reads {FORMAT_VERSION})")
            quantiles = {str(k): (-math.inf if v[0] is None else float(v[0]), math.inf if v[1] is None else float(v[1]))
                         for k, v in data["quantiles"].items()}
            return cls(quantiles, float(data["alpha"]), float(data["floor_ml"]), dict(data.get("source", {})))
        except (KeyError, TypeError, IndexError, ValueError) as error:
            raise ValueError(f"{source}: not a volume calibration ({type(error).__name__}: {error})") from None

    @classmethod
    def read(cls, path: str | Path) -> VolumeCalibration:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not readable ({error})") from None
        return cls.from_dict(data, source=str(path))
