"""Training samplers by name (``sampler:`` in a config): what one training sample is.

Each entry builds a sampler from the training cases, the network spec and the config,
and states the window the network is trained on (``training_window``) and how
validation blends its sliding windows (``blend``), so the trainer never switches on
the sampler's name.
"""

from __future__ import annotations

from ..data.sampling import PatchSampler
from ..data.windowed_patches import WindowedSliceSampler
from ..models.network_spec import NetworkSpec
from ..registry import Registry


def _patch(spec: NetworkSpec, config) -> list[int]:
    return list(spec.patch_size)


SAMPLERS = Registry("sampler", default_metadata={"training_window": _patch, "blend": "gaussian"})


@SAMPLERS.register("patches", description="nnU-Net-style random patches, a share forced onto foreground",
                   training_window=_patch, blend="gaussian")
def patch_sampler(cases, spec: NetworkSpec, config) -> PatchSampler:
    patch = list(spec.patch_size) + ([1] if spec.spatial_dims == 2 else [])
    return PatchSampler(cases, patch_size=patch, foreground_probability=config.foreground_probability,
                        samples_per_volume=config.samples_per_volume,
                        min_foreground_per_volume=config.min_foreground_per_volume,
                        context_slices=config.context_slices, context_dropout=config.context_dropout,
                        context_cut=config.context_cut,
                        seed=config.seed)


def _window(spec: NetworkSpec, config) -> list[int]:
    return [int(config.window_size)] * 2


@SAMPLERS.register("ctich_windows", description="CT-ICH's fixed grid of square slice windows, negatives undersampled",
                   training_window=_window, blend="constant")
def ctich_window_sampler(cases, spec: NetworkSpec, config) -> WindowedSliceSampler:
    return WindowedSliceSampler(cases, size=config.window_size, stride=config.window_stride,
                                negative_ratio=config.negative_ratio, seed=config.seed)
