"""nnU-Net CT normalisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ichseg.preprocess import CTIntensityStatistics, collect_foreground_statistics, normalize_ct


def test_statistics_come_from_foreground_only():
    rng = np.random.default_rng(0)
    image = np.full((40, 40, 40), -1000.0)
    label = np.zeros(image.shape, np.uint8)
    label[10:30, 10:30, 10:30] = 1
    image[label > 0] = rng.normal(60, 8, int(label.sum()))
    stats = collect_foreground_statistics([(image, label)], samples_per_case=5000, seed=1)
    assert stats.mean == pytest.approx(60, abs=0.5)
    assert stats.std == pytest.approx(8, abs=0.5)
    assert stats.percentile_00_5 == pytest.approx(60 - 2.576 * 8, abs=2)
    assert stats.percentile_99_5 == pytest.approx(60 + 2.576 * 8, abs=2)
    again = collect_foreground_statistics([(image, label)], samples_per_case=5000, seed=1)
    assert again == stats  # seeded


def test_normalize_clips_then_z_scores():
    stats = CTIntensityStatistics(mean=40.0, std=20.0, percentile_00_5=0.0, percentile_99_5=100.0)
    out = normalize_ct(np.array([-1000, 0, 40, 100, 3000], np.int16), stats)
    assert out.tolist() == [-2.0, -2.0, 0.0, 3.0, 3.0]
    assert CTIntensityStatistics.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats


def test_no_foreground_is_an_error():
    with pytest.raises(ValueError, match="no foreground"):
        collect_foreground_statistics([(np.zeros((3, 3, 3)), np.zeros((3, 3, 3)))])
