"""HU windows to [0, 1], single and stacked."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.preprocess import WINDOW_PRESETS, window_channels, window_from_center_width, window_hu


def test_single_window_values():
    hu = np.array([-1000, 0, 40, 80, 1000], np.int16)
    assert window_hu(hu, 0, 80).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert window_hu(hu, 0, 80).dtype == np.float32


def test_center_width_and_presets():
    assert window_from_center_width(40, 120) == (-20.0, 100.0)
    assert WINDOW_PRESETS["brain"] == ((0.0, 80.0),)
    assert WINDOW_PRESETS["rgb3"] == ((0.0, 100.0), (-20.0, 200.0), (-200.0, 1300.0))


def test_channels_follow_window_order():
    hu = np.full((2, 2, 2), 150.0)
    channels = window_channels(hu, "rgb3")
    assert channels.shape == (3, 2, 2, 2)
    assert channels[0].max() == 1.0  # above the blood window
    assert channels[1, 0, 0, 0] == pytest.approx(170 / 220)
    assert channels[2, 0, 0, 0] == pytest.approx(350 / 1500)


@pytest.mark.parametrize("bad", [[(10, 10)], "nonsense"])
def test_bad_windows_are_refused(bad):
    with pytest.raises(ValueError):
        window_channels(np.zeros(3), bad)
