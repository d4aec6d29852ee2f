import itertools

import numpy as np

from ichseg.data.sampling import TrainingCase
from ichseg.data.windowed_patches import WindowedSliceSampler, slice_windows, training_windows, window_starts


def test_windows_cover_the_slice_with_half_overlap():
    starts = window_starts(512, 160, 80)
    assert starts[0] == 0 and starts[-1] + 160 == 512
    assert all(b - a <= 80 for a, b in itertools.pairwise(starts))
    assert len(slice_windows((512, 512))) == len(starts) ** 2
    assert window_starts(100, 160, 80) == [0]


def test_negative_windows_are_undersampled():
    labels = np.zeros((320, 320, 6), np.uint8)
    labels[100:120, 100:120, 2] = 1
    windows = training_windows(labels, negative_ratio=2.0, seed=0)
    positives = [w for w in windows if labels[w[1]:w[1] + 160, w[2]:w[2] + 160, w[0]].any()]
    assert len(positives) == 4  # the blob lies in 4 half-overlapping windows
    assert len(windows) - len(positives) == 8
    assert training_windows(labels, negative_ratio=2.0, seed=0) == windows


def test_windowed_sampler_draws_each_window_once_per_pass():
    labels = np.zeros((200, 200, 3), np.uint8)
    labels[10:30, 10:30, 1] = 1
    case = TrainingCase.build("a", np.zeros((1, 200, 200, 3), np.float32), labels)
    sampler = WindowedSliceSampler([case], size=160, stride=80, negative_ratio=1.0, seed=0)
    n = len(sampler.windows)
    first_pass = [sampler.sample(i)["label"].sum() for i in range(n)]
    assert sorted(first_pass) == sorted(labels[x:x + 160, y:y + 160, z].sum() for _, z, x, y in sampler.windows)
    assert sampler.sample(0)["image"].shape == (1, 160, 160)
