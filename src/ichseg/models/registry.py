"""The model registry: ``name -> builder(spatial_dims, in_channels, out_channels, **config)``.

Entry metadata: ``dims`` (supported spatial dims), ``size_multiple`` (per spatial
dims, the per-axis divisor an input must satisfy at the default configuration),
``deep_supervision`` (whether the default returns stacked heads when training).
"""

from __future__ import annotations

from torch import nn

from ..registry import Registry

MODELS = Registry("model")


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
