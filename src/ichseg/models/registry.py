"""The model registry: ``name -> builder(spatial_dims, in_channels, out_channels, **config)``.

Entry metadata: ``dims`` (supported spatial dims), ``size_multiple`` (per spatial
dims, the per-axis divisor an input must satisfy at the default configuration),
``deep_supervision`` (whether the default returns stacked heads when training), and
optional hooks used when a training run makes its network spec: ``plan_options``
(defaults from the plan's configuration), ``size_multiple_of`` (the divisor from the
options), ``patch_options`` (options that follow the training patch) and
``input_options`` (options that follow the intensity scheme and slice context).

A network outside ichseg is named ``package.module:build`` (see :mod:`ichseg.registry`);
its ``ichseg_metadata`` dict overrides the defaults (2D and 3D, multiples of 16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    from torch import nn

# The modules that register networks import MONAI; they load on the first lookup, so that
# reading a checkpoint or running a bundle's ONNX graph never imports MONAI.
MODELS = Registry("model", providers=("ichseg.models.monai_networks", "ichseg.models.dynamic_unets",
                                      "ichseg.models.smp_networks", "ichseg.models.hu_threshold"),
                  default_metadata={"dims": (2, 3), "size_multiple": {2: (16, 16), 3: (16, 16, 16)}})


def build_model(name: str, spatial_dims: int, in_channels: int, out_channels: int, **config) -> nn.Module:
    """Build a registered network.

    Raises:
        KeyError: unknown name. ValueError: unsupported spatial dims.

    Example:
        >>> net = build_model("unet", 3, in_channels=1, out_channels=2)
        >>> type(net).__name__
        'UNet'
    """
    entry = MODELS.entry(name)
    if spatial_dims not in entry.metadata["dims"]:
        raise ValueError(f"model {name!r} supports spatial dims {entry.metadata['dims']}, not {spatial_dims}")
    return entry.builder(spatial_dims, in_channels, out_channels, **config)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def size_multiple(name: str, spatial_dims: int) -> tuple[int, ...]:
    """Per-axis divisor of input sizes for the default configuration of ``name``.

    Raises:
        ValueError: ``name`` has no ``spatial_dims`` version (e.g. a 2D network asked for 3D).
    """
    entry = MODELS.entry(name)
    if spatial_dims not in entry.metadata["size_multiple"]:
        dims = ", ".join(f"{d}D" for d in entry.metadata["dims"])
        raise ValueError(f"model {name!r} is {dims} only, not {spatial_dims}D "
                         f"(pass --config {entry.metadata['dims'][0]}d)")
    return tuple(entry.metadata["size_multiple"][spatial_dims])
