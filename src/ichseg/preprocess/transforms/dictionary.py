"""Dictionary versions of :mod:`.array` (MONAI ``MapTransform``), for data dicts.

Example:
    >>> import numpy as np
    >>> sample = {"image": np.zeros((1, 4, 4, 2)), "label": np.zeros((1, 4, 4, 2))}
    >>> WindowChannelsd(keys="image", windows="rsna3")(sample)["image"].shape
    (3, 4, 4, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

from monai.config import KeysCollection
from monai.transforms import MapTransform

from ..normalization import CTIntensityStatistics
from .array import NormalizeCT, WindowChannels


class WindowChannelsd(MapTransform):
    """:class:`WindowChannels` applied to ``keys``."""

    def __init__(
        self, keys: KeysCollection, *, windows: str | Sequence[Sequence[float]] = "rgb3",
        allow_missing_keys: bool = False
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.transform = WindowChannels(windows=windows)

    def __call__(self, data):
        out = dict(data)
        for key in self.key_iterator(out):
            out[key] = self.transform(out[key])
        return out


class NormalizeCTd(MapTransform):
    """:class:`NormalizeCT` applied to ``keys``."""

    def __init__(
        self, keys: KeysCollection, *, statistics: CTIntensityStatistics | dict, allow_missing_keys: bool = False
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.transform = NormalizeCT(statistics=statistics)

    def __call__(self, data):
        out = dict(data)
        for key in self.key_iterator(out):
            out[key] = self.transform(out[key])
        return out
