"""The base anatomy's distance transforms, computed in the mask's box, equal the whole array's."""

import numpy as np
import pytest
from scipy import ndimage

from ichseg.data.synth.base import distance_inside, within_mm


@pytest.mark.parametrize("seed", [0, 1])
def test_box_distances_equal_the_whole_array_transform(seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros((60, 50, 12), bool)
    mask[15:45, 10:40, 3:9] = ndimage.binary_opening(rng.random((30, 30, 6)) > 0.3)  # ragged, off-centre
    spacing = (0.5, 0.7, 4.0)
    np.testing.assert_array_equal(distance_inside(mask, spacing),
                                  ndimage.distance_transform_edt(mask, sampling=spacing).astype(np.float32))
    np.testing.assert_array_equal(within_mm(mask, spacing, 6.0),
                                  ndimage.distance_transform_edt(~mask, sampling=spacing) < 6.0)


def test_an_empty_mask_has_no_depth_and_nothing_near_it():
    empty = np.zeros((5, 5, 3), bool)
    assert not distance_inside(empty, (1.0, 1.0, 1.0)).any() and not within_mm(empty, (1.0, 1.0, 1.0), 3.0).any()
