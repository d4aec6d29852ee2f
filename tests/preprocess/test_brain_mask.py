"""Intracranial and head masks on the real scan and on a phantom of known volume."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.io import Volume
from ichseg.preprocess import brain_mask, head_mask


def test_ge_intracranial_volume_is_adult(ge_volume):
    mask = brain_mask(ge_volume)
    volume_ml = mask.sum() * ge_volume.voxel_volume_ml
    assert 1100 <= volume_ml <= 1800, volume_ml
    head = head_mask(ge_volume)
    assert (mask & ~head).sum() == 0
    hu = ge_volume.array[mask]
    assert 15 < np.median(hu) < 45  # brain parenchyma, not scalp fat or bone


def _skull_phantom():
    spacing = np.array([0.9, 0.9, 5.0])
    shape = (180, 180, 36)
    grid = np.indices(shape).astype(np.float32)
    centre = (np.array(shape) - 1) / 2
    r = np.sqrt((((grid.T - centre) * spacing) ** 2).sum(-1)).T
    hu = np.full(shape, -1000.0, np.float32)
    hu[r < 78] = 30  # scalp
    hu[r < 72] = 1200  # skull
    hu[r < 66] = 32  # brain
    hu[(r < 20) & (grid[0] > centre[0])] = 8  # a ventricle
    hu[(np.abs(r - 40) < 2) & (grid[1] > centre[1])] = 70  # a hyperdense rim (blood)
    return Volume(hu, np.diag([*spacing, 1.0])), 4 / 3 * np.pi * 66**3 / 1000


def test_phantom_brain_volume():
    volume, true_ml = _skull_phantom()
    measured = brain_mask(volume).sum() * volume.voxel_volume_ml
    assert measured == pytest.approx(true_ml, rel=0.06)
