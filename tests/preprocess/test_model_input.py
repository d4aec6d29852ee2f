import numpy as np

from ichseg.io import Volume
from ichseg.preprocess.model_input import prepare_model_input

RGB3 = {"scheme": "windows", "windows": "rgb3"}


def test_slices_thicker_than_a_2d_models_spacing_are_kept_and_thinner_ones_resampled():
    thick = Volume(np.zeros((40, 40, 6), np.int16), np.diag([0.5, 0.5, 7.0, 1.0]))
    kept = prepare_model_input(thick, (1.0, 1.0, 5.0), RGB3, keep_thicker_slices=True)
    assert kept.channels.shape == (3, 20, 20, 6) and kept.grid.spacing[2] == 7.0
    resampled = prepare_model_input(thick, (1.0, 1.0, 5.0), RGB3)
    assert resampled.grid.spacing[2] == 5.0 and resampled.channels.shape[3] != 6
    thin = Volume(np.zeros((40, 40, 20), np.int16), np.diag([0.5, 0.5, 1.25, 1.0]))
    assert prepare_model_input(thin, (1.0, 1.0, 5.0), RGB3, keep_thicker_slices=True).grid.spacing[2] == 5.0
