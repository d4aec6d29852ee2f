"""DICOM series reading: HU, slice order, gantry tilt, uneven gaps, bad series."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from scipy import ndimage

from dicom_factory import sphere, tilted_positions, write_series
from ichseg.io import InputError, read_volume
from ichseg.io.dicom_series import LPS_TO_RAS, read_dicom_series


def _world_ras_of_pixels(dataset, i, j):
    """RAS world position of pixel (column i, row j) of a DICOM slice, from its own tags."""
    iop = np.array(dataset.ImageOrientationPatient, float)
    d_col, d_row = (float(v) for v in dataset.PixelSpacing)
    lps = np.array(dataset.ImagePositionPatient, float) + np.outer(i * d_row, iop[:3]) + np.outer(j * d_col, iop[3:])
    return (LPS_TO_RAS[:3, :3] @ lps.T).T


def _sample(volume, world_ras):
    index = (np.linalg.inv(volume.affine) @ np.c_[world_ras, np.ones(len(world_ras))].T)[:3]
    return ndimage.map_coordinates(volume.array.astype(np.float32), index, order=1, mode="nearest"), index


def test_ge_hu_range_and_grid(ge_volume):
    assert ge_volume.array.min() == -1024  # padding and outside-FOV set to air, nothing below
    assert 1500 < ge_volume.array.max() < 3100  # dense bone
    assert ge_volume.shape[:2] == (512, 611)  # canvas enlarged to keep every shifted slice
    assert ge_volume.spacing[0] == pytest.approx(0.488281, abs=1e-5)
    assert ge_volume.spacing[2] == pytest.approx(144.08 / 36, abs=1e-3)
    assert any("gantry tilt 18.5" in w for w in ge_volume.warnings)
    assert any("uneven slice spacing" in w for w in ge_volume.warnings)
    assert not any("missing slices" in w for w in ge_volume.warnings)  # 7 mm gaps among 7 mm slices


def test_ge_voxels_sit_at_each_slice_position(ge_folder, ge_volume):
    """Sample the volume at the world position of every source pixel (from the slice's own
    ImagePositionPatient/Orientation): it must reproduce that slice's HU."""
    step = 8
    jj, ii = np.meshgrid(np.arange(0, 512, step), np.arange(0, 512, step), indexing="ij")
    for path in sorted(ge_folder.glob("*.dcm")):
        dataset = pydicom.dcmread(path)
        source = dataset.pixel_array[jj, ii].astype(np.float32) * float(dataset.RescaleSlope) + float(
            dataset.RescaleIntercept
        )
        sampled, index = _sample(ge_volume, _world_ras_of_pixels(dataset, ii.ravel(), jj.ravel()))
        # The in-plane indices of every source pixel land exactly on canvas columns/rows
        # shifted by the same amount: the whole slice is one rigid in-plane translation.
        assert np.ptp(index[0] - ii.ravel()) < 1e-3 and np.ptp(index[1] - jj.ravel()) < 1e-3
        assert np.ptp(index[2]) < 1e-3  # one plane of the output grid, not a sheared one
        head = source.ravel() > -500
        sampled = sampled[head]
        on_plane = abs(index[2][0] - round(index[2][0])) < 1e-3
        correlation = np.corrcoef(sampled, source.ravel()[head])[0, 1]
        if on_plane:  # first and last slices are output planes: values are reproduced
            assert np.median(np.abs(sampled - source.ravel()[head])) < 2.0, path.name
        assert correlation > (0.98 if on_plane else 0.8), (path.name, correlation)


def test_tilted_uneven_series_puts_sphere_at_true_position(tmp_path):
    centre_lps, radius = np.array([3.0, -4.0, 40.0]), 15.0
    positions, orientation = tilted_positions(24, 3.0, tilt_deg=20.0, start=(-32.0, -25.0, 5.0))
    positions = positions[:12] + [(p[0], p[1], p[2] + 2.0) for p in positions[12:]]  # one 5 mm gap
    write_series(tmp_path, sphere(centre_lps, radius), positions=positions, orientation=orientation, thickness=3.0)
    volume = read_volume(tmp_path)
    assert any("gantry tilt 20.0" in w for w in volume.warnings)
    assert any("uneven slice spacing" in w for w in volume.warnings)
    mask = volume.array > 30
    centroid_index = np.array(ndimage.center_of_mass(mask))
    centroid_ras = volume.affine[:3, :3] @ centroid_index + volume.affine[:3, 3]
    assert np.allclose(centroid_ras, LPS_TO_RAS[:3, :3] @ centre_lps, atol=0.6), centroid_ras
    true_ml = 4 / 3 * np.pi * radius**3 / 1000
    assert mask.sum() * volume.voxel_volume_ml == pytest.approx(true_ml, rel=0.08)


def test_ignoring_the_tilt_would_misplace_the_sphere(tmp_path):
    """Guard for the test above: a naive orthogonal stack puts the sphere elsewhere."""
    centre_lps = np.array([0.0, 0.0, 40.0])
    positions, orientation = tilted_positions(24, 3.0, tilt_deg=20.0, start=(-32.0, -25.0, 5.0))
    write_series(tmp_path, sphere(centre_lps, 15.0), positions=positions, orientation=orientation)
    volume = read_volume(tmp_path)
    naive = volume.affine.copy()
    naive[:3, 2] = [0, 0, 3.0]  # stacking the planes along z without the shear
    shifted_canvas = np.array(ndimage.center_of_mass(volume.array > 30))
    assert np.linalg.norm(naive[:3, :3] @ shifted_canvas + naive[:3, 3] - LPS_TO_RAS[:3, :3] @ centre_lps) > 3


def test_slices_sorted_by_position_not_instance_number(tmp_path):
    positions = [(0.0, 0.0, 5.0 * k) for k in range(6)]
    write_series(tmp_path, lambda w: w[..., 2] * 10, positions=positions, shape=(8, 8))
    volume = read_volume(tmp_path)
    assert volume.orientation == "LPS"
    profile = volume.array[0, 0, :]
    assert np.all(np.diff(profile) > 0)  # inferior -> superior regardless of InstanceNumber
    assert volume.spacing[2] == pytest.approx(5.0)
    assert volume.array.dtype == np.int16


def test_missing_slice_is_warned(tmp_path):
    positions = [(0.0, 0.0, 5.0 * k) for k in range(10) if k != 5]
    write_series(tmp_path, lambda w: w[..., 0] * 0, positions=positions, shape=(8, 8))
    volume = read_volume(tmp_path)
    assert any("possible missing slices: 10.00 mm gap" in w for w in volume.warnings)


def test_duplicate_positions_are_an_error(tmp_path):
    paths = write_series(tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 0), (0, 0, 5), (0, 0, 5)], shape=(8, 8))
    with pytest.raises(InputError, match="same slice position"):
        read_dicom_series(paths)


def test_mixed_sizes_are_an_error(tmp_path):
    uid = "1.2.3.4.5"
    write_series(tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 0), (0, 0, 5)], shape=(8, 8), series_uid=uid)
    write_series(tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 10)], shape=(16, 16), series_uid=uid, prefix="b")
    with pytest.raises(InputError, match="slice size"):
        read_volume(tmp_path)


def test_mixed_orientations_are_an_error(tmp_path):
    uid = "1.2.3.4.6"
    write_series(tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 0), (0, 0, 5)], shape=(8, 8), series_uid=uid)
    write_series(
        tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 10)], shape=(8, 8), series_uid=uid, prefix="b",
        orientation=(1, 0, 0, 0, 0.9, -0.43588989),
    )
    with pytest.raises(InputError, match="orientation differs"):
        read_volume(tmp_path)


def test_non_ct_modality_is_refused_unless_forced(tmp_path):
    write_series(tmp_path, lambda w: w[..., 0] * 0, positions=[(0, 0, 0), (0, 0, 5)], shape=(8, 8), modality="MR")
    with pytest.raises(InputError, match="modality is MR, not CT"):
        read_volume(tmp_path)
    assert read_volume(tmp_path, allow_non_ct=True).shape == (8, 8, 2)


def test_truncated_file_is_named(tmp_path, ge_folder):
    shutil.copytree(ge_folder, tmp_path / "ge")
    victim = tmp_path / "ge" / "05.dcm"
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(InputError, match="05.dcm") as error:
        read_volume(tmp_path / "ge")
    assert "pixel data" in str(error.value) or "cannot read" in str(error.value)


def test_corrupted_header_is_named(tmp_path, ge_folder):
    shutil.copytree(ge_folder, tmp_path / "ge")
    victim = tmp_path / "ge" / "07.dcm"
    data = bytearray(victim.read_bytes())
    data[300:700] = np.random.default_rng(0).integers(0, 256, 400, dtype=np.uint8).tobytes()
    victim.write_bytes(bytes(data))
    with pytest.raises(InputError, match="07.dcm: corrupt DICOM"):
        read_volume(tmp_path / "ge")


def test_single_dicom_file_is_a_one_slice_volume(ge_folder):
    volume = read_volume(ge_folder / "20.dcm")
    assert volume.shape == (512, 512, 1)
    assert volume.spacing[2] == pytest.approx(7.0)
