"""Slice-wise boundary distances equal brute-force nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist
from shapes import perturbed, random_blob

from ichseg.evaluate.boundary_distances import directed_boundary_distances


def _brute_force(a, b, spacing):
    edge = lambda m: np.argwhere(m & ~ndimage.binary_erosion(m)) * np.asarray(spacing)  # noqa: E731
    pa, pb = edge(a), edge(b)
    distances = cdist(pa, pb)
    return np.sort(distances.min(axis=1)), np.sort(distances.min(axis=0))


@pytest.mark.parametrize("spacing", [(0.45, 0.45, 5.0), (1.0, 1.0, 1.0), (0.8, 3.0, 0.8), (2.0, 0.5, 1.0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force(spacing, seed):
    a = random_blob((28, 26, 12), seed)
    b = perturbed(a, seed + 10)
    ours = directed_boundary_distances(a, b, spacing)
    reference = _brute_force(a, b, spacing)
    assert np.allclose(np.sort(ours[0]), reference[0])
    assert np.allclose(np.sort(ours[1]), reference[1])


def test_far_apart_objects():
    a = np.zeros((30, 30, 10), bool)
    b = np.zeros_like(a)
    a[2:5, 2:5, 0:2] = True
    b[25:28, 25:28, 8:10] = True
    to_b, to_a = directed_boundary_distances(a, b, (0.5, 0.5, 5.0))
    expected = np.sqrt((21 * 0.5) ** 2 * 2 + (7 * 5.0) ** 2)  # nearest corners: 21 voxels, 7 slices apart
    assert to_b.min() == pytest.approx(expected)
    assert to_a.min() == pytest.approx(expected)


@pytest.mark.parametrize("query_cost", [0, 10**9])  # always whole-slice maps / always KD-tree queries
@pytest.mark.parametrize("seed", [3, 4])
def test_both_other_slice_strategies_match_brute_force(monkeypatch, query_cost, seed):
    from ichseg.evaluate import boundary_distances

    monkeypatch.setattr(boundary_distances, "QUERY_COST_IN_PIXELS", query_cost)
    a = random_blob((28, 26, 12), seed)
    b = ndimage.binary_dilation(a, iterations=2)  # faces far from the other boundary: many cross-slice searches
    ours = directed_boundary_distances(a, b, (0.45, 0.45, 5.0))
    reference = _brute_force(a, b, (0.45, 0.45, 5.0))
    assert np.allclose(np.sort(ours[0]), reference[0]) and np.allclose(np.sort(ours[1]), reference[1])
