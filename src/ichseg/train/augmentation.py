"""Training augmentation pipelines (MONAI dictionary transforms), chosen by name.

Each builder takes the patch's spatial dims and returns a ``monai.transforms.Compose``
over ``{"image": (C, ...), "label": (1, ...)}``. Probabilities are stated in one place
per pipeline:

- ``viola``: the viola-UNet list: zoom 0.9-1.2, Gaussian noise and smoothing, 90-degree
  in-plane rotations, a flip on each axis, intensity shift and scale, contrast (the
  random 1:1 foreground/background crop is the sampler's ``foreground_probability=0.5``);
- ``hemseg``: HemSeg-200's left-right and anterior-posterior flips;
- ``nnunet``: nnU-Net's default set (rotation, scaling, noise, blur, brightness,
  contrast, low resolution, gamma, mirroring), in-plane rotation only for 3D thick slices;
- ``none``: no augmentation.
"""

from __future__ import annotations

import math

from monai import transforms as mt

from ..registry import Registry

AUGMENTATIONS = Registry("augmentation")
KEYS = ("image", "label")


def _flips(dims: int, probability: float) -> list:
    return [mt.RandFlipd(KEYS, prob=probability, spatial_axis=axis) for axis in range(dims)]


def _finish(transforms: list) -> mt.Compose:
    return mt.Compose([*transforms, mt.EnsureTyped(KEYS, data_type="tensor", track_meta=False)])


@AUGMENTATIONS.register("none", description="no augmentation")
def build_none(dims: int) -> mt.Compose:
    return _finish([])


@AUGMENTATIONS.register("hemseg", description="HemSeg-200: random x and y flips (p = 0.5 each)")
def build_hemseg(dims: int) -> mt.Compose:
    return _finish(_flips(2, 0.5))


@AUGMENTATIONS.register("viola", description="viola-UNet: zoom, noise, smoothing, rot90, flips, intensity, contrast")
def build_viola(dims: int) -> mt.Compose:
    return _finish([
        mt.RandZoomd(KEYS, prob=0.2, min_zoom=0.9, max_zoom=1.2, mode=("trilinear" if dims == 3 else "bilinear",
                                                                       "nearest"), keep_size=True),
        mt.RandGaussianNoised("image", prob=0.15, std=0.1),
        mt.RandGaussianSmoothd("image", prob=0.15, sigma_x=(0.5, 1.0), sigma_y=(0.5, 1.0), sigma_z=(0.5, 1.0)),
        mt.RandRotate90d(KEYS, prob=0.2, max_k=3, spatial_axes=(0, 1)),
        *_flips(dims, 0.5),
        mt.RandShiftIntensityd("image", prob=0.15, offsets=0.1),
        mt.RandScaleIntensityd("image", prob=0.15, factors=0.1),
        mt.RandAdjustContrastd("image", prob=0.15, gamma=(0.7, 1.5)),
    ])


@AUGMENTATIONS.register("nnunet", description="nnU-Net default: rotation/scaling, noise, blur, brightness, "
                                              "contrast, low resolution, gamma, mirroring")
def build_nnunet(dims: int) -> mt.Compose:
    angle = math.radians(30) if dims == 2 else math.radians(15)
    return _finish([
        mt.RandAffined(KEYS, prob=0.2, rotate_range=(0, 0, angle) if dims == 3 else angle,
                       scale_range=[0.3] * dims, mode=("bilinear", "nearest"), padding_mode="zeros"),
        mt.RandGaussianNoised("image", prob=0.1, std=0.1),
        mt.RandGaussianSmoothd("image", prob=0.2, sigma_x=(0.5, 1.0), sigma_y=(0.5, 1.0), sigma_z=(0.5, 1.0)),
        mt.RandScaleIntensityd("image", prob=0.15, factors=0.25),
        mt.RandAdjustContrastd("image", prob=0.15, gamma=(0.75, 1.25)),
        mt.RandSimulateLowResolutiond("image", prob=0.25, zoom_range=(0.5, 1.0),
                                      upsample_mode="trilinear" if dims == 3 else "bilinear"),
        mt.RandAdjustContrastd("image", prob=0.3, gamma=(0.7, 1.5)),
        *_flips(dims, 0.5),
    ])


def build_augmentation(name: str, dims: int) -> mt.Compose:
    """The named pipeline for ``dims``-dimensional patches.

    Example:
        >>> import numpy as np
        >>> pipeline = build_augmentation("hemseg", 2)
        >>> _ = pipeline.set_random_state(seed=0)
        >>> out = pipeline({"image": np.zeros((1, 8, 8), np.float32), "label": np.zeros((1, 8, 8), np.uint8)})
        >>> tuple(out["image"].shape), type(out["image"]).__name__
        ((1, 8, 8), 'Tensor')
    """
    return AUGMENTATIONS.build(name, dims)
