"""Input quality checks on the real GE head, in HU and as an 8-bit windowed export."""

import numpy as np
import pytest

from ichseg.io import Volume
from ichseg.io.quality import input_quality_warnings
from ichseg.preprocess import to_ras


def _as_windowed_export(volume: Volume, centre: float, width: float, with_window: bool = True) -> Volume:
    """``volume`` as an 8-bit export read back to HU: clipped to the window, 256 grey steps."""
    low = centre - width / 2
    grey = np.clip((volume.array - low) / width * 255.0, 0, 255).round()
    metadata = {"window": [centre, width]} if with_window else {}
    return Volume((grey / 255.0 * width + low).astype(np.float32), volume.affine.copy(), metadata)


@pytest.fixture(scope="module")
def ge_ras(ge_volume):
    return to_ras(ge_volume)


def test_the_real_head_in_hu_passes(ge_ras):
    assert input_quality_warnings(ge_ras) == []


@pytest.mark.parametrize("window", [(40, 80), (75, 215)])  # brain, subdural
def test_a_windowed_export_of_the_real_head_passes(ge_ras, window):
    # air is floored at the window's bottom (0 HU for 40/80): no "no air", no "larger than a head"
    assert input_quality_warnings(_as_windowed_export(ge_ras, *window)) == []


def test_the_same_export_without_its_window_is_flagged(ge_ras):
    warnings = input_quality_warnings(_as_windowed_export(ge_ras, 40, 80, with_window=False))
    assert any("almost no air" in w for w in warnings)


def test_a_windowed_export_of_a_chest_is_still_flagged():
    x, y = np.mgrid[:440, :320] * 0.8
    body = ((x - 176) / 170) ** 2 + ((y - 128) / 120) ** 2 < 1  # a 340 x 240 mm trunk of soft tissue
    chest = Volume(np.repeat(np.where(body, 40.0, -1000.0)[:, :, None], 4, axis=2), np.diag([0.8, 0.8, 5.0, 1.0]))
    warnings = input_quality_warnings(_as_windowed_export(chest, 40, 80))
    assert any("larger than a head" in w for w in warnings), warnings
