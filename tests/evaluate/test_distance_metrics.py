"""HD, HD95, ASSD and NSD: analytic cases, MONAI agreement, empty masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.metrics import compute_hausdorff_distance as monai_hausdorff
from monai.metrics import compute_surface_dice as monai_surface_dice
from shapes import perturbed, random_blob

from ichseg.evaluate import (
    AverageSurfaceDistance,
    EmptyMaskPolicy,
    EvaluationConfig,
    HausdorffDistance,
    SurfaceDice,
    compute_average_surface_distance,
    compute_hausdorff_distance,
    compute_surface_dice,
    evaluate_case,
)

SPACING = (0.5, 0.5, 5.0)


def _one_hot(mask):
    return torch.from_numpy(np.stack([~mask, mask])[None].astype(np.float32))


@pytest.fixture
def cubes():
    a = np.zeros((40, 40, 10), bool)
    a[10:20, 10:20, 2:6] = True
    return a, np.roll(a, 3, axis=0)  # 1.5 mm apart along x


def test_cube_offsets_give_exact_distances(cubes):
    a, b = cubes
    assert compute_hausdorff_distance(a, b, SPACING) == pytest.approx(1.5)
    assert compute_hausdorff_distance(a, np.roll(a, 1, axis=2), SPACING) == pytest.approx(5.0)
    assert compute_average_surface_distance(a, a, SPACING) == 0.0
    assert 0 < compute_average_surface_distance(a, b, SPACING) < 1.5


def test_cube_nsd_against_face_areas():
    # A 40 mm cube shifted 6 mm along x on a 1 mm grid: x-faces are never within 0.42 mm,
    # the other four faces share 34 of their 40 mm. Marching cubes chamfers the edges by
    # half a voxel (about 1.5% of the area here), hence the tolerance.
    a = np.zeros((60, 50, 50), bool)
    a[5:45, 5:45, 5:45] = True
    b = np.roll(a, 6, axis=0)
    assert compute_surface_dice(a, b, (1.0, 1.0, 1.0)) == pytest.approx(0.85 * 4 / 6, abs=0.02)
    assert compute_surface_dice(a, b, (1.0, 1.0, 1.0), tolerance_mm=6.0) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("spacing", [(0.45, 0.45, 5.0), (1.0, 1.0, 1.0)])
def test_agrees_with_monai(seed, spacing):
    a = random_blob((40, 36, 14), seed)
    b = perturbed(a, seed + 100)
    ours_hd95 = compute_hausdorff_distance(b, a, spacing, percentile=95)
    theirs_hd95 = float(monai_hausdorff(_one_hot(b), _one_hot(a), percentile=95, spacing=spacing))
    assert ours_hd95 == pytest.approx(theirs_hd95, abs=1e-4)
    assert compute_hausdorff_distance(b, a, spacing) == pytest.approx(
        float(monai_hausdorff(_one_hot(b), _one_hot(a), spacing=spacing)), abs=1e-4)
    # what `ichseg evaluate` reports is the same numbers (its code path, not only the functions)
    row = evaluate_case(b.astype(np.uint8), a.astype(np.uint8), spacing, EvaluationConfig(regions=("IPH",)))[0]
    assert row["hd95"] == pytest.approx(theirs_hd95, abs=1e-4)
    assert row["hd"] == pytest.approx(compute_hausdorff_distance(b, a, spacing), abs=1e-9)
    assert row["assd"] == pytest.approx(compute_average_surface_distance(b, a, spacing), abs=1e-9)
    assert row["nsd"] == pytest.approx(compute_surface_dice(b, a, spacing, tolerance_mm=0.42), abs=1e-9)
    for tolerance in (0.42, 1.0, 2.5):
        ours = compute_surface_dice(b, a, spacing, tolerance_mm=tolerance)
        theirs = float(monai_surface_dice(_one_hot(b), _one_hot(a), [tolerance], spacing=spacing, use_subvoxels=True))
        assert ours == pytest.approx(theirs, abs=0.01), tolerance


def test_nsd_counts_area_not_voxels():
    """On 0.45 x 0.45 x 5 mm voxels, counting boundary voxels over-weights through-plane
    faces; the area definition agrees with MONAI's sub-voxel mode, not its voxel mode."""
    a = random_blob((48, 48, 12), 7)
    b = perturbed(a, 8)
    spacing = (0.45, 0.45, 5.0)
    ours = compute_surface_dice(b, a, spacing)
    voxel_count = float(monai_surface_dice(_one_hot(b), _one_hot(a), [0.42], spacing=spacing))
    sub_voxel = float(monai_surface_dice(_one_hot(b), _one_hot(a), [0.42], spacing=spacing, use_subvoxels=True))
    assert abs(ours - sub_voxel) < 0.01
    assert abs(ours - voxel_count) > 0.02


@pytest.mark.parametrize(
    "policy, both_empty, pred_empty",
    [
        (EmptyMaskPolicy(), 0.0, 100.0),
        (EmptyMaskPolicy(both_empty="exclude"), np.nan, 100.0),
        (EmptyMaskPolicy(one_empty="exclude"), 0.0, np.nan),
    ],
)
def test_distance_empty_policy(cubes, policy, both_empty, pred_empty):
    a, _ = cubes
    empty = np.zeros_like(a)
    policy = EmptyMaskPolicy(policy.both_empty, policy.one_empty, worst_distance_mm=100.0)
    for metric in (HausdorffDistance(percentile=95, policy=policy), AverageSurfaceDistance(policy=policy)):
        np.testing.assert_equal(metric(empty, empty, SPACING), both_empty)
        np.testing.assert_equal(metric(empty, a, SPACING), pred_empty)
        np.testing.assert_equal(metric(a, empty, SPACING), pred_empty)


def test_worst_distance_defaults_to_image_diagonal(cubes):
    a, _ = cubes
    expected = np.linalg.norm(np.array(a.shape) * SPACING)
    assert compute_hausdorff_distance(np.zeros_like(a), a, SPACING) == pytest.approx(expected)


def test_nsd_empty_policy(cubes):
    a, _ = cubes
    empty = np.zeros_like(a)
    assert SurfaceDice()(empty, empty, SPACING) == 1.0
    assert np.isnan(SurfaceDice(policy=EmptyMaskPolicy(both_empty="exclude"))(empty, empty, SPACING))
    assert SurfaceDice()(empty, a, SPACING) == 0.0
    with pytest.raises(ValueError, match="tolerance"):
        SurfaceDice(tolerance_mm=-1)


def test_bad_percentile_is_refused():
    with pytest.raises(ValueError, match="percentile"):
        HausdorffDistance(percentile=0)
