"""Self-configuration from a dataset fingerprint (nnU-Net's experiment planning rules).

The constants that decide the plan live here, once:

- target spacing: the median spacing, except for anisotropic data (the worst axis has
  > ``ANISO_THRESHOLD`` times the spacing *and* < 1/``ANISO_THRESHOLD`` of the voxels of
  the others, i.e. thick-slice CT), where that axis takes the 10th percentile of its
  spacings: thick slices keep (about) their thickness instead of being interpolated;
- topology: an axis is pooled only while its spacing is <= ``POOL_SPACING_RATIO`` times
  the finest current spacing and its feature map stays >= 2 x ``MIN_FEATURE_MAP``;
  kernels are 1 along an axis that is still > ``POOL_SPACING_RATIO`` times coarser;
- patch size: the median image shape, shrunk along its relatively largest axis until the
  estimated training memory of a batch of ``MIN_BATCH`` fits the budget;
- batch size: as many as the budget allows, at most ``MAX_DATASET_FRACTION`` of the
  dataset's voxels per batch, at least ``MIN_BATCH``.

The plan is plain JSON (see :func:`make_plan`); edit it by hand to override anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..labels import LABELS

PLAN_VERSION = 1
ANISO_THRESHOLD = 3.0
POOL_SPACING_RATIO = 2.0
MIN_FEATURE_MAP = 4
BASE_FEATURES = 32
MAX_FEATURES = {2: 512, 3: 320}
MAX_POOLS = {2: 6, 3: 5}
MIN_BATCH = 2
MAX_BATCH = {2: 64, 3: 16}
MAX_DATASET_FRACTION = 0.05
DEFAULT_MEMORY_GB = 8.0
# Stored tensors per convolution (output, normalisation, activation) and the backward
# pass's extra working memory, both as multiples of the forward activations.
TENSORS_PER_CONV = 3
BACKWARD_FACTOR = 2.0


def target_spacing(spacings: Sequence[Sequence[float]], shapes: Sequence[Sequence[int]]) -> list[float]:
    """nnU-Net's full-resolution target spacing.

    Example:
        >>> target_spacing([[0.45, 0.45, 5.0], [0.5, 0.5, 5.0]], [[512, 512, 30]] * 2)
        [0.475, 0.475, 5.0]
    """
    spacing_rows, shape_rows = np.asarray(spacings, float), np.asarray(shapes, float)
    target = np.median(spacing_rows, axis=0)
    worst = int(np.argmax(target))
    others = [axis for axis in range(len(target)) if axis != worst]
    shape_at_target = np.median(shape_rows * spacing_rows / target, axis=0)
    anisotropic_spacing = target[worst] > ANISO_THRESHOLD * min(target[others])
    anisotropic_voxels = shape_at_target[worst] * ANISO_THRESHOLD < min(shape_at_target[others])
    if anisotropic_spacing and anisotropic_voxels:
        worst_spacing = float(np.percentile(spacing_rows[:, worst], 10))
        # never finer than the other axes (that would make it the fine axis)
        target[worst] = max(worst_spacing, max(target[others]) + 1e-5)
    return [round(float(s), 5) for s in target]


def network_topology(spacing: Sequence[float], patch_size: Sequence[int], *, max_pools: int | None = None) -> dict:
    """Pooling strides and kernel sizes per stage, and the patch size made divisible.

    Returns ``{"strides": [[1, ...], pool_1, ...], "kernel_sizes": [...], "patch_size": [...]}``
    (``strides`` in MONAI DynUNet's form: the first stage does not pool).

    Example:
        >>> topology = network_topology([0.45, 0.45, 5.0], [384, 384, 32])
        >>> topology["strides"][:4]
        [[1, 1, 1], [2, 2, 1], [2, 2, 1], [2, 2, 1]]
        >>> topology["kernel_sizes"][:2]
        [[3, 3, 1], [3, 3, 1]]
    """
    dims = len(spacing)
    max_pools = MAX_POOLS[dims] if max_pools is None else max_pools
    current_spacing = [float(s) for s in spacing]
    current_size = [float(s) for s in patch_size]
    strides, kernels = [[1] * dims], []
    while True:
        finest = min(current_spacing)
        kernels.append([3 if s <= POOL_SPACING_RATIO * finest else 1 for s in current_spacing])
        poolable = [s <= POOL_SPACING_RATIO * finest and n >= 2 * MIN_FEATURE_MAP
                    for s, n in zip(current_spacing, current_size)]
        if not any(poolable) or len(strides) > max_pools:
            break
        pool = [2 if p else 1 for p in poolable]
        strides.append(pool)
        current_spacing = [s * p for s, p in zip(current_spacing, pool)]
        current_size = [n / p for n, p in zip(current_size, pool)]
    divisor = np.prod(np.array(strides), axis=0)
    patch = [int(max(d, round(n / d) * d)) for n, d in zip(patch_size, divisor)]
    return {"strides": strides, "kernel_sizes": kernels, "patch_size": patch}


def stage_features(n_stages: int, dims: int) -> list[int]:
    """Features per stage: 32, 64, ... capped at 320 (3D) or 512 (2D), as nnU-Net."""
    return [min(BASE_FEATURES * 2**stage, MAX_FEATURES[dims]) for stage in range(n_stages)]


def estimate_training_memory(patch_size: Sequence[int], strides: Sequence[Sequence[int]], batch_size: int,
                             in_channels: int, *, bytes_per_value: int = 4) -> int:
    """Rough peak training memory (bytes) of a U-Net with this topology.

    Activations: two convolutions per stage in the encoder and two in the decoder, each
    storing ``TENSORS_PER_CONV`` tensors, times ``BACKWARD_FACTOR``; plus parameters with
    their gradient and two optimiser moments.
    """
    dims = len(patch_size)
    features = stage_features(len(strides), dims)
    size = np.asarray(patch_size, float)
    activations = float(np.prod(size)) * in_channels
    parameters = 0.0
    previous = in_channels
    for stride, feature in zip(strides, features):
        size = size / np.asarray(stride)
        activations += float(np.prod(size)) * feature * 4 * TENSORS_PER_CONV
        parameters += 3**dims * feature * (previous + feature) * 2  # encoder + decoder convolutions
        previous = feature
    return int(activations * batch_size * bytes_per_value * BACKWARD_FACTOR + parameters * 4 * 4)


def plan_configuration(spacing: Sequence[float], median_shape: Sequence[float], *, in_channels: int,
                       memory_bytes: float, dataset_voxels: float, bytes_per_value: int = 4) -> dict:
    """Patch size, topology and batch size of one configuration (2D or 3D)."""
    dims = len(spacing)
    median_shape = np.maximum(np.asarray(median_shape, float), 1)
    patch = [int(n) for n in median_shape]
    topology = network_topology(spacing, patch)

    def memory(candidate, batch):
        return estimate_training_memory(candidate["patch_size"], candidate["strides"], batch, in_channels,
                                        bytes_per_value=bytes_per_value)

    while memory(topology, MIN_BATCH) > memory_bytes and max(topology["patch_size"]) > 2 * MIN_FEATURE_MAP:
        ratios = np.asarray(topology["patch_size"]) / median_shape
        axis = int(np.argmax(ratios + 1e-6 * np.asarray(topology["patch_size"])))
        divisor = int(np.prod([s[axis] for s in topology["strides"]]))
        patch = list(topology["patch_size"])
        patch[axis] = max(MIN_FEATURE_MAP, patch[axis] - divisor)
        topology = network_topology(spacing, patch)
    per_sample = memory(topology, 1) - memory(topology, 0)
    batch = int((memory_bytes - memory(topology, 0)) // max(per_sample, 1))
    by_dataset = int(MAX_DATASET_FRACTION * dataset_voxels // max(np.prod(topology["patch_size"]), 1))
    batch = int(max(MIN_BATCH, min(batch, by_dataset, MAX_BATCH[dims])))
    return {
        "spatial_dims": dims, "spacing": [float(s) for s in spacing], "patch_size": topology["patch_size"],
        "batch_size": batch, "strides": topology["strides"], "kernel_sizes": topology["kernel_sizes"],
        "features": stage_features(len(topology["strides"]), dims),
        "estimated_memory_gb": round(memory(topology, batch) / 1e9, 3),
    }


def make_plan(fingerprint: dict, *, memory_gb: float = DEFAULT_MEMORY_GB, amp: bool = False) -> dict:
    """The training plan of a fingerprinted dataset: ``2d`` and ``3d`` configurations.

    Example:
        >>> fingerprint = {"dataset": "toy", "n_cases": 2, "foreground_intensity": {
        ...     "mean": 60.0, "std": 10.0, "percentile_00_5": 30.0, "percentile_99_5": 90.0},
        ...     "cases": [{"spacing": [0.45, 0.45, 5.0], "shape": [512, 512, 30]}] * 2}
        >>> plan = make_plan(fingerprint, memory_gb=8)
        >>> plan["configurations"]["3d"]["spacing"], plan["configurations"]["3d"]["strides"][1]
        ([0.45, 0.45, 5.0], [2, 2, 1])
    """
    spacings = [c["spacing"] for c in fingerprint["cases"]]
    shapes = [c["shape"] for c in fingerprint["cases"]]
    spacing = target_spacing(spacings, shapes)
    resampled = np.median(np.asarray(shapes, float) * np.asarray(spacings, float) / np.asarray(spacing), axis=0)
    dataset_voxels = float(np.sum(np.prod(np.asarray(shapes, float) * np.asarray(spacings) / spacing, axis=1)))
    memory = memory_gb * 1e9
    bytes_per_value = 2 if amp else 4
    configurations = {
        "3d": plan_configuration(spacing, resampled, in_channels=1, memory_bytes=memory,
                                 dataset_voxels=dataset_voxels, bytes_per_value=bytes_per_value),
        "2d": plan_configuration(spacing[:2], resampled[:2], in_channels=1, memory_bytes=memory,
                                 dataset_voxels=dataset_voxels, bytes_per_value=bytes_per_value),
    }
    configurations["2d"]["spacing"] = [*spacing[:2], spacing[2]]  # slices keep the volume's z spacing
    return {
        "plan_version": PLAN_VERSION, "dataset": fingerprint.get("dataset", ""),
        "labels": {name: value for value, name in LABELS.items()},
        "median_spacing": fingerprint.get("median_spacing", np.median(spacings, axis=0).tolist()),
        "median_shape": [round(float(s), 1) for s in resampled], "n_cases": fingerprint.get("n_cases", len(shapes)),
        "normalization": {"scheme": "ct", "statistics": fingerprint["foreground_intensity"]},
        "memory_budget_gb": memory_gb, "amp": amp,
        "rules": {"aniso_threshold": ANISO_THRESHOLD, "pool_spacing_ratio": POOL_SPACING_RATIO,
                  "min_feature_map": MIN_FEATURE_MAP, "min_batch": MIN_BATCH,
                  "max_dataset_fraction": MAX_DATASET_FRACTION},
        "configurations": configurations,
    }


def round_up(value: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value``."""
    return int(math.ceil(value / multiple) * multiple)
