"""ABC/2 with Kothari's slice weighting, against ellipsoids whose slice areas are known exactly."""

import numpy as np
import pytest

from ichseg.quantify.abc2 import kothari_slice_weights, measure_lesion


def _ellipsoid(shape, spacing, centre_mm, radii_mm):
    grid = np.indices(shape).astype(float) * np.asarray(spacing).reshape(3, 1, 1, 1)
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre_mm, radii_mm)) <= 1


def _analytic_c(centre_z, radius_z, thickness, n_slices):
    """C from the exact slice areas pi*a*b*(1 - d^2/c^2) at the slice centres."""
    d = np.arange(n_slices) * thickness - centre_z
    areas = np.clip(1 - (d / radius_z) ** 2, 0, None)
    return float(kothari_slice_weights(areas).sum()) * thickness


@pytest.mark.parametrize("thickness", [1.0, 2.5, 5.0])
def test_c_follows_kothari_weights_of_the_analytic_slice_areas(thickness):
    spacing = (0.5, 0.5, thickness)
    n_slices = int(round(60 / thickness))
    centre, radii = (30.0, 30.0, 30.3), (18.0, 11.0, 15.0)  # a 30 mm-high ellipsoid, off the slice grid
    mask = _ellipsoid((120, 120, n_slices), spacing, centre, radii)
    measured = measure_lesion(mask, spacing)
    expected_c = _analytic_c(centre[2], radii[2], thickness, n_slices)
    assert abs(measured.c_mm - expected_c) <= 0.5 * thickness  # at most one slice on the other side of 25/75 %
    assert measured.a_mm == pytest.approx(36.0, abs=1.0) and measured.b_mm == pytest.approx(22.0, abs=1.0)
    # the weighting counts the poles half or not at all: C is about 0.7 of the height, not all of it
    assert 0.6 * 30 < measured.c_mm < 0.8 * 30


def test_counting_every_touched_slice_would_overestimate_c():
    spacing = (0.5, 0.5, 5.0)
    mask = _ellipsoid((120, 120, 12), spacing, (30, 30, 30.0), (15, 15, 15))
    touched = np.count_nonzero(mask.sum(axis=(0, 1))) * 5.0
    assert touched > 30  # the old rule: more than the lesion's 30 mm height
    assert measure_lesion(mask, spacing).c_mm < touched


def test_weights_at_the_thresholds():
    assert kothari_slice_weights(np.array([100, 75, 74, 25, 24, 0])).tolist() == [1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    assert kothari_slice_weights(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
