"""Resampling to a spacing and back."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.io import Volume
from ichseg.preprocess import resample_like, resample_to_grid, resample_to_spacing
from ichseg.preprocess.resample import grid_for_spacing


@pytest.fixture
def sphere_volume():
    grid = np.indices((120, 120, 20)).astype(np.float32)
    spacing = np.array([0.5, 0.5, 5.0])
    centre = np.array([60, 60, 10])
    distance = np.sqrt((((grid.T - centre) * spacing) ** 2).sum(-1)).T
    image = np.where(distance < 20, 60.0, 0.0).astype(np.float32)
    return Volume(image, np.diag([*spacing, 1.0]))


def test_round_trip_returns_original_grid(ge_volume):
    coarse = resample_to_spacing(ge_volume, (1.0, 1.0, 5.0))
    assert coarse.spacing == pytest.approx((1.0, 1.0, 5.0), abs=1e-6)
    back = resample_like(coarse, ge_volume)
    assert back.shape == ge_volume.shape
    assert np.array_equal(back.affine, ge_volume.affine)
    centre_world = ge_volume.world_coordinates(np.array([[255.5, 305.0, 18.0]]))
    assert np.allclose(coarse.world_coordinates(np.array([[(coarse.shape[0] - 1) / 2, (coarse.shape[1] - 1) / 2,
                                                           (coarse.shape[2] - 1) / 2]])), centre_world, atol=1.0)


def test_labels_use_nearest_and_keep_their_values(sphere_volume):
    labels = sphere_volume.with_array((sphere_volume.array > 0).astype(np.uint8) * 3)
    iso = resample_to_spacing(labels, (1.0, 1.0, 1.0), order=0)
    assert iso.array.dtype == np.uint8
    assert set(np.unique(iso.array)) == {0, 3}
    true_ml = 4 / 3 * np.pi * 20**3 / 1000
    assert (iso.array > 0).sum() * iso.voxel_volume_ml == pytest.approx(true_ml, rel=0.05)


@pytest.mark.parametrize("order", [1, 3])
def test_image_round_trip_is_close(sphere_volume, order):
    there = resample_to_spacing(sphere_volume, (0.8, 0.8, 2.0), order=order)
    back = resample_like(there, sphere_volume, order=order)
    assert np.abs(back.array - sphere_volume.array).mean() < 2.0


def test_bad_spacing_is_refused(sphere_volume):
    with pytest.raises(ValueError, match="3 positive numbers"):
        resample_to_spacing(sphere_volume, (1.0, 0.0, 1.0))


@pytest.mark.parametrize("order", [0, 1])
def test_a_single_slice_keeps_its_values_when_resampled_in_plane(ge_volume, order):
    # one slice of the real (tilted, so oblique) GE head onto the model's 1 x 1 x 5 mm grid: the
    # target slice lies on the source slice only up to rounding, which made every voxel air until
    # a one-voxel axis was padded with its own values
    k = 14
    affine = ge_volume.affine.copy()
    affine[:3, 3] = ge_volume.affine[:3, :3] @ np.array([0, 0, k]) + ge_volume.affine[:3, 3]
    slice_alone = Volume(ge_volume.array[:, :, k:k + 1].copy(), affine)
    shape, target = grid_for_spacing(slice_alone, (1.0, 1.0, 5.0))
    resampled = resample_to_grid(slice_alone, shape, target, order=order, cval=-1024.0).array
    assert shape[2] == 1
    head = ge_volume.array[:, :, k] > -200
    assert abs(float((resampled[..., 0] > -200).mean()) - float(head.mean())) < 0.02


def test_the_outer_model_slice_of_a_three_slice_piece_is_not_air(ge_volume):
    # three slices of the real (tilted) GE head at half its slice spacing onto a grid of twice that
    # spacing: two model slices on the first and the last source slice centres, the upper one beyond
    # it by rounding only; it was all air (and the model then read its neighbour as air) until axes
    # reached to their edge centres were padded with their own values
    k = 14
    affine = ge_volume.affine.copy()
    affine[:3, 3] = ge_volume.affine[:3, :3] @ np.array([0, 0, k]) + ge_volume.affine[:3, 3]
    piece = Volume(ge_volume.array[:, :, k:k + 3].copy(), affine)
    thick = np.array(piece.spacing) * [1, 1, 2]
    shape, target = grid_for_spacing(piece, thick)
    assert shape[2] == 2
    resampled = resample_to_grid(piece, shape, target, order=1, cval=-1024.0).array
    for model_slice, source_slice in ((0, 0), (1, 2)):
        in_head = (resampled[..., model_slice] > -200).mean()
        assert abs(float(in_head) - float((piece.array[..., source_slice] > -200).mean())) < 0.02
    inside = grid_for_spacing(Volume(np.zeros((8, 8, 9), np.float32), np.eye(4)), (1.0, 1.0, 3.0))
    assert resample_to_grid(Volume(np.ones((8, 8, 9), np.float32), np.eye(4)), *inside, cval=0.0).array.min() == 1.0
