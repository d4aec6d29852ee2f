"""2D PNG/JPG slice stacks with a declared window."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ichseg.io import InputError, read_volume


@pytest.fixture
def png_stack(tmp_path):
    for k in (1, 2, 10):  # natural order: 1, 2, 10
        Image.fromarray(np.full((6, 5), 25 * k, np.uint8)).save(tmp_path / f"slice{k}.png")
    return tmp_path


def test_grey_values_map_back_to_hu(png_stack):
    volume = read_volume(png_stack, window=(40, 120), spacing=(0.5, 0.5, 5.0))
    assert volume.shape == (5, 6, 3)
    expected = [-20 + 25 * k / 255 * 120 for k in (1, 2, 10)]
    assert np.allclose(volume.array[0, 0, :], expected, atol=1e-3)
    assert volume.spacing == (0.5, 0.5, 5.0)
    assert volume.orientation == "LPS"
    assert volume.warnings and "approximate HU" in volume.warnings[0]


def test_reverse_flips_slice_order(png_stack):
    forward = read_volume(png_stack, window=(40, 120), spacing=(1, 1, 5))
    backward = read_volume(png_stack, window=(40, 120), spacing=(1, 1, 5), reverse=True)
    assert np.array_equal(forward.array[..., ::-1], backward.array)


def test_window_and_spacing_must_be_declared(png_stack):
    with pytest.raises(InputError, match="declared window"):
        read_volume(png_stack, spacing=(1, 1, 5))
    with pytest.raises(InputError, match="declared spacing"):
        read_volume(png_stack, window=(40, 120))


def test_mixed_image_sizes_are_an_error(png_stack):
    Image.fromarray(np.zeros((7, 7), np.uint8)).save(png_stack / "slice11.png")
    with pytest.raises(InputError, match="slice11.png: image size"):
        read_volume(png_stack, window=(40, 120), spacing=(1, 1, 5))


def test_jpg_slice(tmp_path):
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(tmp_path / "one.jpg", quality=95)
    volume = read_volume(tmp_path / "one.jpg", window=(40, 80), spacing=(1, 1, 5))
    assert volume.shape == (8, 8, 1)
    assert abs(float(volume.array.mean()) - 40.0) < 1.0
