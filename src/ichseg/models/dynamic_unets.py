"""nnU-Net-topology networks: ``dynunet`` from a plan, ``viola_unet`` and the named
configurations of the viola-UNet paper's Table 1.

Choice, stated because the paper's Table 1 rows could not be retrieved here in full:
the named configurations are reconstructed from the authors' published nnU-Net
configuration (7 levels, filters 32-320, in-plane-only pooling at the first levels and
the last, residual encoder, 4 deep-supervision heads), which gives 22.01 M parameters,
exactly the paper's nnU-Net_r. ``viola_unet_l`` is that topology with viola attention
and batch norm (22.02 M; paper 22.12 M) and ``viola_unet_s`` the 6-level version with a
320-filter bottleneck and 2 heads (12.96 M; paper 12.77 M). All three use a symmetric
decoder (the encoder's filters); pass ``decoder_filters`` for an asymmetric one.
"""

from __future__ import annotations

import numpy as np
from monai.networks.nets import DynUNet

from .registry import MODELS
from .viola import ViolaUNet

LEAKY_RELU = ("leakyrelu", {"inplace": True, "negative_slope": 0.01})
# Per-level kernels and strides for thick-slice CT: no z pooling and 2D kernels while
# the in-plane pixels are far smaller than the slice spacing.
KERNELS_7 = [[3, 3, 1], [3, 3, 1], [3, 3, 1], [3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]
STRIDES_7 = [[1, 1, 1], [2, 2, 1], [2, 2, 1], [2, 2, 2], [2, 2, 2], [2, 2, 1], [1, 1, 1]]
KERNELS_6 = KERNELS_7[:6]
STRIDES_6 = [[1, 1, 1], [2, 2, 1], [2, 2, 1], [2, 2, 2], [2, 2, 2], [2, 2, 1]]
FILTERS_7 = (32, 64, 96, 128, 192, 256, 320)
FILTERS_6 = (32, 64, 96, 128, 192, 320)
THICK_SLICE_MULTIPLE = {3: (32, 32, 4)}


def _two_d(levels):
    return [level[:2] for level in levels]


def _plan_topology(configuration: dict, spatial_dims: int) -> dict:
    """DynUNet's kernels, strides and filters from the plan's configuration (nnU-Net's topology)."""
    return {"kernel_size": configuration["kernel_sizes"], "strides": configuration["strides"],
            "filters": configuration["features"]}


def _stride_product(options: dict, spatial_dims: int) -> tuple[int, ...]:
    """The per-axis divisor of a DynUNet: the product of its strides."""
    strides = options.get("strides") or (STRIDES_6[:5] if spatial_dims == 3 else _two_d(STRIDES_6[:5]))
    return tuple(int(v) for v in np.prod(np.asarray(strides), axis=0))


@MODELS.register("dynunet", description="MONAI DynUNet, the nnU-Net topology from a plan (kernels, strides, DS)",
                 dims=(2, 3), size_multiple={2: (16, 16), 3: (16, 16, 4)}, deep_supervision=True,
                 plan_options=_plan_topology, size_multiple_of=_stride_product)
def build_dynunet(spatial_dims, in_channels, out_channels, *, kernel_size=None, strides=None,
                  upsample_kernel_size=None, deep_supervision=True, deep_supr_num=2, res_block=False, **config):
    kernel_size = kernel_size or (KERNELS_6[:5] if spatial_dims == 3 else _two_d(KERNELS_6[:5]))
    strides = strides or (STRIDES_6[:5] if spatial_dims == 3 else _two_d(STRIDES_6[:5]))
    config.setdefault("norm_name", ("INSTANCE", {"affine": True}))
    config.setdefault("act_name", LEAKY_RELU)
    return DynUNet(spatial_dims, in_channels, out_channels, kernel_size, strides,
                   upsample_kernel_size or strides[1:], deep_supervision=deep_supervision,
                   deep_supr_num=deep_supr_num, res_block=res_block, **config)


@MODELS.register("viola_unet", description="viola-UNet (Liu et al. 2022), configurable; default = viola_unet_s",
                 dims=(3,), size_multiple=THICK_SLICE_MULTIPLE, deep_supervision=True)
def build_viola_unet(spatial_dims, in_channels, out_channels, *, kernel_size=KERNELS_6, strides=STRIDES_6,
                     filters=FILTERS_6, decoder_filters=None, deep_supervision=True, deep_supr_num=2,
                     res_block=True, dropout=None, **config):
    config.setdefault("norm_name", ("BATCH", {"affine": True}))
    config.setdefault("act_name", LEAKY_RELU)
    config.setdefault("trans_bias", True)
    return ViolaUNet(spatial_dims, in_channels, out_channels, kernel_size, strides, strides[1:], filters,
                     decoder_filters, deep_supervision=deep_supervision, deep_supr_num=deep_supr_num,
                     res_block=res_block, dropout=dropout, **config)


@MODELS.register("viola_unet_s", description="viola-UNet small (paper Table 1: 12.77 M)", dims=(3,),
                 size_multiple=THICK_SLICE_MULTIPLE, deep_supervision=True)
def build_viola_unet_s(spatial_dims, in_channels, out_channels, **config):
    return build_viola_unet(spatial_dims, in_channels, out_channels, **config)


@MODELS.register("viola_unet_l", description="viola-UNet large (paper Table 1: 22.12 M)", dims=(3,),
                 size_multiple=THICK_SLICE_MULTIPLE, deep_supervision=True)
def build_viola_unet_l(spatial_dims, in_channels, out_channels, **config):
    config = {"kernel_size": KERNELS_7, "strides": STRIDES_7, "filters": FILTERS_7, "deep_supr_num": 4} | config
    return build_viola_unet(spatial_dims, in_channels, out_channels, **config)


@MODELS.register("nnunet_r", description="nnU-Net with residual encoder, the viola paper's baseline (22.01 M)",
                 dims=(3,), size_multiple=THICK_SLICE_MULTIPLE, deep_supervision=True)
def build_nnunet_r(spatial_dims, in_channels, out_channels, **config):
    config = {"kernel_size": KERNELS_7, "strides": STRIDES_7, "filters": FILTERS_7, "deep_supr_num": 4,
              "res_block": True, "trans_bias": True} | config
    return build_dynunet(spatial_dims, in_channels, out_channels, **config)
