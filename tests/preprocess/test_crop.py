"""Cropping keeps world positions; uncropping restores the grid."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.io import Volume
from ichseg.preprocess import bounding_box, crop, uncrop
from ichseg.preprocess.crop import margin_in_voxels


def test_crop_and_uncrop(ge_volume):
    mask = ge_volume.array > 300
    box = bounding_box(mask, margin_in_voxels(ge_volume, 5.0))
    cropped = crop(ge_volume, box)
    corner = np.array([[s.start for s in box]])
    assert np.allclose(cropped.world_coordinates(np.zeros((1, 3))), ge_volume.world_coordinates(corner))
    assert np.prod(cropped.shape) < 0.6 * np.prod(ge_volume.shape)
    restored = uncrop(cropped.array, box, ge_volume.shape, fill=-1024)
    assert np.array_equal(restored[box], ge_volume.array[box])
    assert restored.shape == ge_volume.shape


def test_empty_mask_has_no_box():
    with pytest.raises(ValueError, match="empty mask"):
        bounding_box(np.zeros((3, 3, 3), bool))


def test_box_margin_is_clipped():
    mask = np.zeros((10, 10, 10), bool)
    mask[0, 5, 9] = True
    assert bounding_box(mask, (2, 2, 2)) == (slice(0, 3), slice(3, 8), slice(7, 10))
    assert crop(Volume(np.zeros((10, 10, 10)), np.eye(4)), bounding_box(mask)).shape == (1, 1, 1)
