"""What ``ichseg models`` lists: every registered model and loss, with parameter counts
at the default configuration (1 input channel, the 7 classes of the label schema).

Networks are built on PyTorch's ``meta`` device: their parameters have shapes but no
memory and no initialisation, so counting them costs milliseconds instead of the seconds
that allocating and initialising a UNETR or Swin UNETR takes.
"""

from __future__ import annotations

import torch

from ..labels import LABELS
from ..losses import LOSSES
from .registry import MODELS, build_model, count_parameters

DEFAULT_OUT_CHANNELS = len(LABELS)


def parameter_count(name: str, dims: int) -> int:
    """Parameters of model ``name`` at the default configuration, counted without allocating them.

    Example:
        >>> parameter_count("unet", 2) == count_parameters(build_model("unet", 2, 1, DEFAULT_OUT_CHANNELS))
        True
    """
    try:
        with torch.device("meta"):
            return count_parameters(build_model(name, dims, 1, DEFAULT_OUT_CHANNELS))
    except (NotImplementedError, RuntimeError):  # a builder that computes with real tensors
        return count_parameters(build_model(name, dims, 1, DEFAULT_OUT_CHANNELS))


def model_catalogue() -> list[dict]:
    """One row per model and supported dimensionality."""
    rows = []
    for name in MODELS.names():
        entry = MODELS.entry(name)
        for dims in entry.metadata["dims"]:
            rows.append({
                "name": name,
                "spatial_dims": dims,
                "parameters": parameter_count(name, dims),
                "input_multiple": list(entry.metadata["size_multiple"][dims]),
                "deep_supervision": bool(entry.metadata.get("deep_supervision", False)),
                "description": entry.description,
            })
    return rows


def loss_catalogue() -> list[dict]:
    """One row per loss; parameters are 0 for all but learnable variants."""
    return [{"name": name, "parameters": count_parameters(LOSSES.build(name)),
             "description": LOSSES.entry(name).description} for name in LOSSES.names()]
