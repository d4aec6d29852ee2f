import json

import numpy as np
import pytest

from ichseg.train.planner import (
    estimate_training_memory,
    make_plan,
    network_topology,
    plan_configuration,
    target_spacing,
)

STATS = {"mean": 60.0, "std": 10.0, "percentile_00_5": 30.0, "percentile_99_5": 90.0}


def _fingerprint(spacings, shapes):
    return {"dataset": "toy", "n_cases": len(spacings), "foreground_intensity": STATS,
            "cases": [{"spacing": list(s), "shape": list(n)} for s, n in zip(spacings, shapes)]}


def test_thick_slices_keep_their_spacing():
    spacings = [[0.45, 0.45, 5.0]] * 8 + [[0.45, 0.45, 2.5]] * 2
    shapes = [[512, 512, 30]] * 8 + [[512, 512, 60]] * 2
    # anisotropic: z takes the 10th percentile of z spacings, not an isotropic value
    assert target_spacing(spacings, shapes) == pytest.approx([0.45, 0.45, 2.5])
    assert target_spacing([[0.45, 0.45, 5.0]] * 3, [[512, 512, 30]] * 3) == pytest.approx([0.45, 0.45, 5.0])


def test_isotropic_data_uses_the_median():
    spacings = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.2], [1.0, 1.0, 1.4]]
    assert target_spacing(spacings, [[200, 200, 150]] * 3) == pytest.approx([1.0, 1.0, 1.2])


def test_no_z_pooling_at_the_first_levels_for_thick_slices():
    topology = network_topology([0.45, 0.45, 5.0], [320, 320, 32])
    strides, kernels = topology["strides"], topology["kernel_sizes"]
    assert strides[0] == [1, 1, 1]
    # in-plane spacing 0.45 -> 0.9 -> 1.8 -> 3.6: z (5 mm) > 2x finest until the 4th level
    assert strides[1:4] == [[2, 2, 1]] * 3
    assert kernels[:3] == [[3, 3, 1]] * 3 and kernels[3] == [3, 3, 3]
    assert [2, 2, 2] in strides[4:]
    divisor = np.prod(np.array(strides), axis=0)
    assert all(p % d == 0 for p, d in zip(topology["patch_size"], divisor))


def test_feature_maps_never_shrink_below_the_minimum():
    topology = network_topology([1.0, 1.0, 1.0], [64, 64, 16])
    z_pools = sum(s[2] == 2 for s in topology["strides"])
    assert 16 / 2**z_pools >= 4


def test_memory_budget_drives_patch_and_batch():
    common = {"in_channels": 1, "dataset_voxels": 1e10}
    large = plan_configuration([0.5, 0.5, 5.0], [460, 460, 30], memory_bytes=40e9, **common)
    small = plan_configuration([0.5, 0.5, 5.0], [460, 460, 30], memory_bytes=2e9, **common)
    assert np.prod(small["patch_size"]) < np.prod(large["patch_size"])
    assert small["batch_size"] >= 2
    assert estimate_training_memory(small["patch_size"], small["strides"], small["batch_size"], 1) <= 2e9 * 1.01
    assert estimate_training_memory([64, 64, 8], small["strides"][:3], 4, 1) > \
        estimate_training_memory([64, 64, 8], small["strides"][:3], 2, 1)


def test_plan_is_plain_json_with_both_configurations():
    plan = make_plan(_fingerprint([[0.45, 0.45, 5.0]] * 4, [[512, 512, 30]] * 4), memory_gb=4)
    again = json.loads(json.dumps(plan))
    assert again == plan
    assert set(plan["configurations"]) == {"2d", "3d"}
    assert plan["configurations"]["2d"]["spatial_dims"] == 2
    assert len(plan["configurations"]["2d"]["patch_size"]) == 2
    assert plan["normalization"] == {"scheme": "ct", "statistics": STATS}
    assert plan["labels"]["IVH"] == 2
