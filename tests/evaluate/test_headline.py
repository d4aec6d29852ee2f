"""The headline numbers every benchmark reports."""

import numpy as np
import pytest

from ichseg.evaluate.headline import headline_summary, score_label_maps


def test_positive_cases_and_false_blood_on_normals_are_reported_apart():
    summary = headline_summary([0.9, 0.5, 1.0, 0.0], pred_ml=[10.0, 3.0, 0.0, 2.5], ref_ml=[12.0, 4.0, 0.0, 0.0])
    assert summary["dice_any"] == pytest.approx(0.6)
    assert summary["dice_any_positive_cases"] == pytest.approx(0.7)
    assert summary["negative_cases"] == {"n": 2, "clean": 1, "fp_ml_mean": 1.25, "fp_ml_max": 2.5}
    assert summary["bland_altman_any_ml"]["bias"] == pytest.approx(np.mean([-2.0, -1.0, 0.0, 2.5]))
    assert -1 <= summary["volume_ccc_any"] <= 1


def test_one_case_has_no_agreement_statistics_and_mismatched_lengths_are_refused():
    assert headline_summary([1.0], pred_ml=[0.0], ref_ml=[0.0])["volume_ccc_any"] is None
    with pytest.raises(ValueError, match="one value per case"):
        headline_summary([1.0, 0.5], pred_ml=[0.0], ref_ml=[0.0])


def test_label_maps_are_scored_per_type_and_for_any_blood():
    reference = np.zeros((10, 10, 3), np.uint8)
    reference[2:6, 2:6, 1] = 1  # IPH
    found = reference.copy()
    found[7:9, 7:9, 1] = 4  # a false SDH
    normal = np.zeros_like(reference)
    summary, per_case = score_label_maps([("blood", reference, found, (1, 1, 5)), ("normal", normal, normal, (1, 1, 5))])
    assert summary["dice_IPH"] == 1.0 and summary["dice_SDH"] == 0.0  # SDH only where predicted or present
    assert "dice_EDH" not in summary  # neither predicted nor present anywhere
    assert per_case[0]["dice_any"] == pytest.approx(2 * 16 / (20 + 16), abs=1e-4)
    assert summary["negative_cases"]["clean"] == 1 and summary["dice_any"] == pytest.approx((per_case[0]["dice_any"] + 1) / 2, abs=1e-4)
