"""Reorientation: flips/permutations that keep every voxel's world position."""

from __future__ import annotations

import numpy as np

from ichseg.io import Volume
from ichseg.preprocess import reorient, to_ras


def _world_of_max(volume):
    index = np.unravel_index(np.argmax(volume.array), volume.shape)
    return volume.world_coordinates(np.array([index]))[0]


def test_to_ras_keeps_world_positions_and_round_trips(ge_volume):
    ras = to_ras(ge_volume)
    assert ras.orientation == "RAS"
    assert np.allclose(_world_of_max(ras), _world_of_max(ge_volume))
    back = reorient(ras, ge_volume.orientation)
    assert np.array_equal(back.array, ge_volume.array)
    assert np.allclose(back.affine, ge_volume.affine, atol=1e-9)


def test_permuted_axes():
    array = np.zeros((3, 4, 5), np.int16)
    array[2, 1, 0] = 7
    affine = np.array([[0, 0, 2.0, 0], [-1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 0, 1]])  # axes S? -> P, S, R
    volume = Volume(array, affine)
    ras = to_ras(volume)
    assert ras.orientation == "RAS"
    assert ras.shape == (5, 3, 4)
    assert np.allclose(_world_of_max(ras), _world_of_max(volume))
