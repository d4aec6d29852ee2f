"""Array transforms (MONAI ``Transform``) for HU windowing and CT normalisation.

They accept channel-first NumPy arrays or torch tensors, as MONAI pipelines pass them.

Example:
    >>> import numpy as np
    >>> WindowChannels(windows="rgb3")(np.zeros((1, 4, 4, 2))).shape
    (3, 4, 4, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.transforms import Transform

from ..normalization import CTIntensityStatistics, normalize_ct
from ..windowing import resolve_windows, window_channels


def _to_numpy(data) -> tuple[np.ndarray, bool]:
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy(), True
    return np.asarray(data), False


def _like_input(array: np.ndarray, was_tensor: bool):
    return torch.from_numpy(np.ascontiguousarray(array)) if was_tensor else array


class WindowChannels(Transform):
    """Replace a single HU channel by one [0, 1] channel per window.

    Args:
        windows: a preset name from ``WINDOW_PRESETS`` or ``(low, high)`` pairs.
    """

    def __init__(self, *, windows: str | Sequence[Sequence[float]] = "rgb3") -> None:
        self.windows = resolve_windows(windows)

    def __call__(self, image):
        array, was_tensor = _to_numpy(image)
        if array.shape[0] != 1:
            raise ValueError(f"WindowChannels expects one HU channel first, got shape {array.shape}")
        return _like_input(window_channels(array[0], self.windows), was_tensor)


class NormalizeCT(Transform):
    """nnU-Net CT normalisation with fixed dataset statistics (see :func:`normalize_ct`)."""

    def __init__(self, *, statistics: CTIntensityStatistics | dict) -> None:
        if isinstance(statistics, dict):
            statistics = CTIntensityStatistics.from_dict(statistics)
        self.statistics = statistics

    def __call__(self, image):
        array, was_tensor = _to_numpy(image)
        return _like_input(normalize_ct(array, self.statistics), was_tensor)
