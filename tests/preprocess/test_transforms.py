"""MONAI-style array and dictionary transforms."""

from __future__ import annotations

import numpy as np
import torch
from monai.transforms import Compose

from ichseg.preprocess import CTIntensityStatistics
from ichseg.preprocess.transforms import NormalizeCT, NormalizeCTd, WindowChannels, WindowChannelsd


def test_window_channels_array_and_tensor():
    image = np.full((1, 4, 4, 2), 50.0, np.float32)
    out = WindowChannels(windows="rgb3")(image)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4, 4, 2)
    tensor_out = WindowChannels(windows=[(0, 100)])(torch.from_numpy(image))
    assert isinstance(tensor_out, torch.Tensor) and float(tensor_out.max()) == 0.5


def test_dictionary_pipeline_touches_only_its_keys():
    stats = CTIntensityStatistics(50.0, 10.0, 0.0, 100.0)
    pipeline = Compose([NormalizeCTd(keys="image", statistics=stats.to_dict())])
    sample = {"image": np.array([[[[60.0]]]]), "label": np.array([[[[1]]]])}
    out = pipeline(sample)
    assert float(out["image"].ravel()[0]) == 1.0
    assert out["label"] is sample["label"]
    assert float(NormalizeCT(statistics=stats)(np.array([200.0]))[0]) == 5.0
    assert WindowChannelsd(keys=["image"], windows="brain")({"image": np.zeros((1, 2, 2, 2))})["image"].shape == (1, 2, 2, 2)
