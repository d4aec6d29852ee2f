"""Mass effect moves the midline away from a large collection."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.data.synth.fields import Grid
from ichseg.data.synth.head import build_head, sample_head_parameters
from ichseg.data.synth.mass_effect import apply_mass_effect, shift_for_volume
from ichseg.labels import SDH


def test_shift_grows_with_volume():
    assert shift_for_volume(10) < shift_for_volume(30) < shift_for_volume(100) <= 15
    assert shift_for_volume(1e6) == 15


def test_falx_moves_away_from_a_right_collection():
    rng = np.random.default_rng(2)
    parameters = sample_head_parameters(rng) | {"pose_deg": [0.0, 0.0, 0.0], "shift_mm": [0.0, 0.0, 0.0]}
    grid = Grid((-100.0, -115.0, -75.0), (1.5, 1.5, 1.5), (134, 154, 100))
    anatomy = build_head(grid, parameters, rng)
    x, y, z = anatomy.head_coordinates
    labels = np.zeros(grid.shape, np.uint8)
    collection = anatomy.intracranial & (x > 25) & (np.abs(y) < 40) & (np.abs(z - 20) < 30) & (anatomy.depth < 15)
    labels[collection] = SDH
    original = anatomy.hu.copy()
    painted = original.copy()
    painted[collection] = 75.0
    falx = (np.abs(x) < 0.8) & anatomy.intracranial & (z > 10) & (z < 40) & (np.abs(y) < 30)
    result = apply_mass_effect(anatomy, original, painted, labels)
    volume = collection.sum() * grid.voxel_ml
    assert result["mass_effect_mm"] == pytest.approx(shift_for_volume(volume), abs=0.01)
    # Where is the dense falx now? Find, per row near the old midline, the x of the densest voxel.
    band = anatomy.intracranial & (np.abs(x) < 12) & (z > 10) & (z < 40) & (np.abs(y) < 30) & ~collection
    moved = (anatomy.hu > 50) & (anatomy.hu < 60) & band
    assert moved.any() and falx.any()
    assert x[moved].mean() < x[falx].mean() - 1.0  # pushed to the left, away from the collection
    assert np.array_equal(anatomy.hu[collection], painted[collection])  # the collection itself is laid back
    assert np.array_equal(anatomy.hu[~anatomy.intracranial], painted[~anatomy.intracranial])  # skull fixed
