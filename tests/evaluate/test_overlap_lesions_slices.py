"""Overlap metrics, lesion-wise and slice-level detection."""

from __future__ import annotations

import numpy as np
import pytest

from ichseg.evaluate import (
    ConfusionCounts,
    EmptyMaskPolicy,
    compute_lesion_detection,
    compute_overlap_metrics,
    compute_slice_detection,
)


def test_overlap_metrics_against_counts():
    ref = np.zeros((10, 10, 10), bool)
    ref[:5] = True  # 500 voxels
    pred = np.zeros_like(ref)
    pred[3:8] = True  # 500 voxels, 200 shared
    metrics = compute_overlap_metrics(pred, ref, (0.5, 0.5, 4.0))
    assert ConfusionCounts.from_masks(pred, ref) == ConfusionCounts(200, 300, 300, 200)
    assert metrics["dice"] == pytest.approx(0.4)
    assert metrics["iou"] == pytest.approx(0.25)
    assert metrics["sensitivity"] == pytest.approx(0.4)
    assert metrics["specificity"] == pytest.approx(0.4)
    assert metrics["precision"] == pytest.approx(0.4)
    assert metrics["accuracy"] == pytest.approx(0.4)
    assert metrics["rvd"] == 0.0
    assert metrics["ref_volume_ml"] == pytest.approx(500 * 1.0 / 1000)


def test_overlap_empty_cases():
    empty = np.zeros((4, 4, 4), bool)
    full = np.ones_like(empty)
    both = compute_overlap_metrics(empty, empty, (1, 1, 1))
    assert both["dice"] == 1.0 and both["iou"] == 1.0
    assert np.isnan(both["sensitivity"]) and np.isnan(both["precision"]) and np.isnan(both["rvd"])
    assert both["specificity"] == 1.0
    excluded = compute_overlap_metrics(empty, empty, (1, 1, 1), EmptyMaskPolicy(both_empty="exclude"))
    assert np.isnan(excluded["dice"])
    false_positive = compute_overlap_metrics(full, empty, (1, 1, 1))
    assert false_positive["dice"] == 0.0 and np.isnan(false_positive["sensitivity"])
    missed = compute_overlap_metrics(empty, full, (1, 1, 1))
    assert missed["dice"] == 0.0 and missed["sensitivity"] == 0.0 and missed["rvd"] == -1.0


def test_lesion_detection_counts():
    ref = np.zeros((30, 30, 6), bool)
    ref[2:6, 2:6, 1:3] = True  # lesion 1: found
    ref[20:24, 20:24, 2:4] = True  # lesion 2: missed
    ref[2:6, 20:24, 4] = True  # lesion 3: barely touched
    pred = np.zeros_like(ref)
    pred[3:6, 3:6, 1:3] = True
    pred[2, 20, 4] = True
    pred[12:14, 12:14, 0] = True  # false positive
    any_overlap = compute_lesion_detection(pred, ref)
    assert (any_overlap["lesion_tp"], any_overlap["lesion_fn"], any_overlap["lesion_fp"]) == (2, 1, 1)
    assert any_overlap["lesion_f1"] == pytest.approx(4 / 6)
    half = compute_lesion_detection(pred, ref, min_overlap=0.5)
    assert (half["lesion_tp"], half["lesion_fn"]) == (1, 2)
    assert np.isnan(compute_lesion_detection(np.zeros_like(ref), np.zeros_like(ref))["lesion_f1"])


def test_slice_detection():
    ref = np.zeros((4, 4, 6), bool)
    ref[..., 1:4] = True
    pred = np.zeros_like(ref)
    pred[0, 0, 2:5] = True
    result = compute_slice_detection(pred, ref)
    assert (result["slice_tp"], result["slice_fp"], result["slice_fn"], result["slice_tn"]) == (2, 1, 1, 2)
    assert result["slice_sensitivity"] == pytest.approx(2 / 3)
    assert compute_slice_detection(pred, ref, min_voxels=2)["slice_tp"] == 0


def test_metric_objects_give_their_functions_results():
    from ichseg.evaluate import LesionDetection, OverlapMetrics

    ref = np.zeros((20, 20, 6), bool)
    ref[2:8, 2:8, 1:3] = True
    ref[12:15, 12:15, 3:5] = True
    pred = np.roll(ref, 2, axis=0)
    policy = EmptyMaskPolicy(both_empty="exclude")
    assert OverlapMetrics(policy=policy)(pred, ref, (1, 1, 5)) == compute_overlap_metrics(pred, ref, (1, 1, 5), policy)
    assert LesionDetection(min_overlap=0.5)(pred, ref) == compute_lesion_detection(pred, ref, min_overlap=0.5)
    assert LesionDetection(min_overlap=0.5)(pred, ref) != LesionDetection()(pred, ref)  # the option is used
