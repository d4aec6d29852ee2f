"""The model's view of a scan: RAS orientation, the plan's spacing and intensity scheme.

Training and inference call the same function, so a model always sees what it was
trained on. The intensity scheme is a small JSON-ready dict stored in the plan:

- ``{"scheme": "ct", "statistics": {...}}``: nnU-Net CT normalisation, one channel;
- ``{"scheme": "windows", "windows": "rgb3"}``: one [0, 1] channel per HU window.

Schemes are entries of :data:`INTENSITY_SCHEMES` (a class with ``channels`` and ``apply``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..io.volume import Volume
from ..registry import Registry
from .normalization import CTIntensityStatistics, normalize_ct
from .orientation import to_ras
from .resample import grid_for_spacing, resample_to_grid
from .windowing import resolve_windows, window_channels

# Scheme names are read from plans and bundles, so a name never imports code (external=False).
INTENSITY_SCHEMES = Registry("intensity scheme", external=False)


@INTENSITY_SCHEMES.register("ct", description="nnU-Net CT normalisation (clip to the foreground's 0.5-99.5 "
                            "percentiles, z-score), one channel")
class CTNormalisation:
    @staticmethod
    def channels(normalization: dict) -> int:
        return 1

    @staticmethod
    def apply(array: np.ndarray, normalization: dict) -> np.ndarray:
        return normalize_ct(array, CTIntensityStatistics.from_dict(normalization["statistics"]))[None]


@INTENSITY_SCHEMES.register("windows", description="one [0, 1] channel per HU window (a named window set)")
class HUWindows:
    @staticmethod
    def channels(normalization: dict) -> int:
        return len(resolve_windows(normalization["windows"]))

    @staticmethod
    def apply(array: np.ndarray, normalization: dict) -> np.ndarray:
        return window_channels(array, normalization["windows"])


def _scheme(normalization: dict):
    try:
        return INTENSITY_SCHEMES.entry(str(normalization.get("scheme"))).builder
    except KeyError as error:
        raise ValueError(error.args[0]) from None


def intensity_channels(normalization: dict) -> int:
    """Number of input channels an intensity scheme produces.

    Example:
        >>> intensity_channels({"scheme": "windows", "windows": "rgb3"})
        3
    """
    return _scheme(normalization).channels(normalization)


def apply_intensity(array: np.ndarray, normalization: dict) -> np.ndarray:
    """HU array ``(X, Y, Z)`` -> float32 channels ``(C, X, Y, Z)``.

    Example:
        >>> apply_intensity(np.array([[[40.0]]]), {"scheme": "windows", "windows": "brain"}).tolist()
        [[[[0.5]]]]
    """
    return _scheme(normalization).apply(array, normalization)


@dataclass
class ModelInput:
    """A scan prepared for a model.

    Attributes:
        channels: float32 ``(C, X, Y, Z)`` on ``grid``.
        grid: the resampled RAS grid as a Volume (its array is the HU image), to map
            predictions back with :func:`ichseg.preprocess.resample_like`.
        labels: uint8 ``(X, Y, Z)`` on the same grid when labels were given.
    """

    channels: np.ndarray
    grid: Volume
    labels: np.ndarray | None = None


def prepare_model_input(image: Volume, spacing: Sequence[float], normalization: dict,
                        labels: Volume | None = None, *, keep_thicker_slices: bool = False) -> ModelInput:
    """Reorient to RAS, resample to ``spacing`` (linear; labels nearest), apply intensities.

    An axis whose spacing already matches within 1 % keeps its voxels (no resampling
    when all three do). With ``keep_thicker_slices`` (2D and 2.5D models) slices thicker
    than the target are kept as they are; thinner ones are still resampled.

    Example:
        >>> volume = Volume(np.zeros((40, 40, 10), np.int16), np.diag([0.5, 0.5, 5.0, 1.0]))
        >>> prepared = prepare_model_input(volume, (1.0, 1.0, 5.0), {"scheme": "windows", "windows": "rgb3"})
        >>> prepared.channels.shape
        (3, 20, 20, 10)
    """
    ras = to_ras(image)
    target = np.asarray(spacing, float)
    current = np.asarray(ras.spacing, float)
    target = np.where(np.abs(current - target) <= 0.01 * target, current, target)
    if keep_thicker_slices and current[2] > target[2]:
        # a 2D model sees one slice at a time: interpolating 7 mm slices onto a 5 mm grid and
        # back blurs a bleed across slices and loses thin ones; the slices are used as they are
        target[2] = current[2]
    if np.allclose(current, target):
        resampled = ras.with_array(ras.array.astype(np.float32))
        label_array = to_ras(labels).array.astype(np.uint8) if labels is not None else None
    else:
        shape, affine = grid_for_spacing(ras, target)
        resampled = resample_to_grid(ras, shape, affine, order=1, cval=-1024.0)
        label_array = None
        if labels is not None:
            label_array = resample_to_grid(to_ras(labels), shape, affine, order=0, cval=0).array.astype(np.uint8)
    if label_array is not None and label_array.shape != resampled.shape:
        raise ValueError(f"image {resampled.shape} and labels {label_array.shape} differ in shape")
    return ModelInput(apply_intensity(resampled.array, normalization), resampled, label_array)
