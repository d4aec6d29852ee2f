"""Segmentation networks by name (see :mod:`ichseg.models.registry`).

MONAI and segmentation_models_pytorch networks are registered as they are; the
viola-UNet is written here from its paper (:mod:`ichseg.models.viola`).

Example:
    >>> from ichseg.models import MODELS, build_model
    >>> "viola_unet_s" in MODELS and "swin_unetr" in MODELS
    True
"""

from . import dynamic_unets, monai_networks, smp_networks  # noqa: F401  (registration)
from .registry import MODELS, build_model, count_parameters, size_multiple

__all__ = ["MODELS", "build_model", "count_parameters", "size_multiple"]
