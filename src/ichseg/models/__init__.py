"""Segmentation networks by name (see :mod:`ichseg.models.registry`).

MONAI and segmentation_models_pytorch networks are registered as they are; the
viola-UNet is written here from its paper (:mod:`ichseg.models.viola`). The modules
that register networks are imported on the first lookup (they import MONAI).

Example:
    >>> from ichseg.models import MODELS, build_model
    >>> "viola_unet_s" in MODELS and "swin_unetr" in MODELS
    True
"""

from .registry import MODELS, build_model, count_parameters, size_multiple

__all__ = ["MODELS", "build_model", "count_parameters", "size_multiple"]
