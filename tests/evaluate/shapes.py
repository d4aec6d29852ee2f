"""Random blob pairs for metric tests (seeded)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def random_blob(shape, seed: int, fill: float = 0.5, smooth: float = 2.0) -> np.ndarray:
    """A smooth random binary shape, away from the border."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal(shape), smooth)
    mask = field > np.quantile(field, 1 - fill * 0.3)
    mask[:2], mask[-2:], mask[:, :2], mask[:, -2:] = False, False, False, False
    return mask


def perturbed(mask: np.ndarray, seed: int) -> np.ndarray:
    """The same blob shifted and dilated/eroded a little, as a model would miss it."""
    rng = np.random.default_rng(seed)
    moved = np.roll(mask, tuple(int(v) for v in rng.integers(-2, 3, size=3)), axis=(0, 1, 2))
    return ndimage.binary_dilation(moved) if rng.random() < 0.5 else ndimage.binary_erosion(moved)
