"""NumPy inputs with declared or embedded geometry."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.io import InputError, read_volume


def test_npy_needs_spacing(tmp_path):
    path = tmp_path / "ct.npy"
    np.save(path, np.zeros((4, 4, 3), np.int16))
    with pytest.raises(InputError, match="ct.npy: NumPy input needs a declared spacing"):
        read_volume(path)
    volume = read_volume(path, spacing=(0.5, 0.5, 5))
    assert volume.array.dtype == np.int16 and volume.spacing == (0.5, 0.5, 5.0)


def test_npz_carries_affine_or_spacing(tmp_path):
    affine = np.diag([0.7, 0.7, 3.0, 1.0])
    np.savez(tmp_path / "a.npz", image=np.ones((3, 3, 3), np.float64), affine=affine)
    np.savez(tmp_path / "b.npz", ct=np.ones((3, 3, 3)), spacing=np.array([1.0, 1.0, 2.5]))
    assert np.array_equal(read_volume(tmp_path / "a.npz").affine, affine)
    b = read_volume(tmp_path / "b.npz")
    assert b.spacing == (1.0, 1.0, 2.5) and b.array.dtype == np.float32


def test_npz_without_image_key_is_an_error(tmp_path):
    np.savez(tmp_path / "c.npz", x=np.ones(3), y=np.ones(3))
    with pytest.raises(InputError, match="no image array"):
        read_volume(tmp_path / "c.npz", spacing=(1, 1, 1))
