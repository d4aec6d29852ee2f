"""Compressed transfer syntaxes decode to the HU of the uncompressed real slice."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from ichseg.io import read_volume


@pytest.fixture(scope="module")
def reference_hu(ge_folder):
    return read_volume(ge_folder / "12.dcm").array[..., 0].astype(np.float32)


@pytest.mark.parametrize(
    "name, syntax",
    [
        ("jpeg_lossless_sv1.dcm", "1.2.840.10008.1.2.4.70"),
        ("jpeg2000_lossless.dcm", "1.2.840.10008.1.2.4.90"),
        ("rle_lossless.dcm", "1.2.840.10008.1.2.5"),
    ],
)
def test_lossless_syntaxes_are_exact(compressed_folder, reference_hu, name, syntax):
    path = compressed_folder / name
    assert pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID == syntax
    volume = read_volume(path)
    assert volume.metadata["transfer_syntax"] == syntax
    assert np.array_equal(volume.array[..., 0], reference_hu)


@pytest.mark.parametrize(
    "name, window, tolerance_hu",
    [("jpeg_extended_12bit.dcm", (-1024, 3000), 6.0), ("jpeg_baseline_8bit.dcm", (-100, 410), 4.0)],
)
def test_lossy_syntaxes_are_close(compressed_folder, reference_hu, name, window, tolerance_hu):
    decoded = read_volume(compressed_folder / name).array[..., 0]
    inside = (reference_hu > window[0]) & (reference_hu < window[1])
    assert np.median(np.abs(decoded[inside] - reference_hu[inside])) < tolerance_hu
