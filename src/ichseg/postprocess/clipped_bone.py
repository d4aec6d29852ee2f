"""The clipped skull of an 8-bit windowed export: where it cannot be told from blood.

An image exported in a display window stores everything at or above the window's top as
the brightest grey level: in a 40/80 brain window the skull (> 300 HU) and acute blood
(60-90 HU) are the same value. A saturated region that reaches the air outside the head is
the skull (with whatever clipped blood lies against it, which no reader could separate
either); one deep inside the head is blood that stayed bright.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..io.slice_stack import window_floor_hu

# chosen on a synthetic validation set (seed 15, experiments/results/windowed_clipped_bone.json):
# a skull is about 5-10 mm thick and the scalp a few mm more
AIR_REACH_MM = 10.0
# JPEG and rounding leave the clipped skull a few grey levels below the top
SATURATION_LEVELS = 3


def outside_air(image: np.ndarray, window: Sequence[float]) -> np.ndarray:
    """Voxels at the window's bottom grey level connected to the in-plane border of the image:
    the air around the head, as an export shows it (everything under the window is one value,
    so no HU threshold below the window can find air)."""
    floor = image <= window_floor_hu(window)
    pieces, _ = ndimage.label(floor)
    edges = np.concatenate([pieces[[0, -1]].ravel(), pieces[:, [0, -1]].ravel()])
    return np.isin(pieces, np.unique(edges[edges > 0]))


def clipped_bone(image: np.ndarray, spacing: Sequence[float], window: Sequence[float]) -> np.ndarray:
    """Saturated voxels (at the window's top, 26-connected) of every component that comes
    within ``AIR_REACH_MM`` of the air outside the head.

    Args:
        image: the HU values an export was read back to, ``(X, Y, Z)``.
        spacing: voxel size in mm.
        window: ``(centre, width)`` of the export.

    Example:
        >>> image = np.zeros((40, 40, 1), np.float32)         # air, floored at the window's bottom (0 HU)
        >>> image[5:35, 5:35] = 80.0; image[8:32, 8:32] = 35  # a 3 mm saturated skull around brain
        >>> image[18:22, 18:22] = 80.0                        # bright blood in the middle
        >>> mask = clipped_bone(image, (1.0, 1.0, 5.0), (40, 80))
        >>> bool(mask[5, 20, 0]), bool(mask[20, 20, 0])
        (True, False)
    """
    centre, width = float(window[0]), float(window[1])
    saturated = image >= centre + width / 2 - SATURATION_LEVELS * width / 255
    if not saturated.any():
        return saturated
    air = outside_air(image, window)
    if not air.any():  # a crop without the head's outline: nothing says where the skull is
        return np.zeros_like(saturated)
    near_air = ndimage.distance_transform_edt(~air, sampling=tuple(float(s) for s in spacing)) <= AIR_REACH_MM
    components, _ = ndimage.label(saturated, structure=np.ones((3, 3, 3)))
    touching = np.unique(components[saturated & near_air])
    return np.isin(components, touching[touching > 0])
