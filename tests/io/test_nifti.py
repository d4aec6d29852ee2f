"""NIfTI reading/writing keeps grid and affine exactly."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from ichseg.io import InputError, Volume, read_volume, write_nifti


@pytest.fixture
def oblique_nifti(tmp_path):
    rotation = np.array([[0.98, -0.17, 0.1], [0.17, 0.98, 0.0], [-0.1, 0.02, 0.99]])
    affine = np.eye(4)
    affine[:3, :3] = rotation * [0.45, 0.45, 5.0]
    affine[:3, 3] = [-110.3, -98.7, 12.25]
    array = np.random.default_rng(1).integers(-1024, 2000, (20, 18, 6)).astype(np.int16)
    path = tmp_path / "ct.nii.gz"
    nib.save(nib.Nifti1Image(array, affine), path)
    return path, array


def test_round_trip_is_bit_exact(oblique_nifti, tmp_path):
    path, array = oblique_nifti
    volume = read_volume(path)
    assert volume.array.dtype == np.int16 and np.array_equal(volume.array, array)
    out = write_nifti(volume, tmp_path / "again.nii.gz")
    original, again = nib.load(path), nib.load(out)
    assert np.array_equal(original.affine, again.affine)
    assert np.array_equal(original.get_sform(), again.get_sform())
    assert original.shape == again.shape
    assert np.array_equal(np.asanyarray(again.dataobj), array)


def test_segmentation_on_image_grid_overlays(oblique_nifti, tmp_path):
    path, _ = oblique_nifti
    image = read_volume(path)
    labels = image.with_array((image.array > 1000).astype(np.uint8))
    out = write_nifti(labels, tmp_path / "seg.nii.gz")
    segmentation = nib.load(out)
    assert segmentation.get_data_dtype() == np.uint8
    assert np.array_equal(segmentation.affine, nib.load(path).affine)


def test_dicom_to_nifti_keeps_geometry(ge_volume, tmp_path):
    out = write_nifti(ge_volume, tmp_path / "ge.nii.gz")
    again = read_volume(out)
    assert np.allclose(again.affine, ge_volume.affine, atol=1e-4)
    assert np.array_equal(again.array, ge_volume.array)


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    write_nifti(Volume(np.zeros((2, 2, 2), np.uint8), np.eye(4)), tmp_path / "a.nii.gz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nii.gz"]


def test_truncated_nifti_is_named(oblique_nifti, tmp_path):
    path, _ = oblique_nifti
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="broken.nii.gz: cannot read NIfTI"):
        read_volume(broken)
