"""What ``ichseg models`` lists: every registered model and loss, with parameter counts
at the default configuration (1 input channel, the 7 classes of the label schema)."""

from __future__ import annotations

from ..labels import LABELS
from ..losses import LOSSES
from .registry import MODELS, build_model, count_parameters

DEFAULT_OUT_CHANNELS = len(LABELS)


def model_catalogue() -> list[dict]:
    """One row per model and supported dimensionality."""
    rows = []
    for name in MODELS.names():
        entry = MODELS.entry(name)
        for dims in entry.metadata["dims"]:
            network = build_model(name, dims, 1, DEFAULT_OUT_CHANNELS)
            rows.append({
                "name": name,
                "spatial_dims": dims,
                "parameters": count_parameters(network),
                "input_multiple": list(entry.metadata["size_multiple"][dims]),
                "deep_supervision": bool(entry.metadata.get("deep_supervision", False)),
                "description": entry.description,
            })
    return rows


def loss_catalogue() -> list[dict]:
    """One row per loss; parameters are 0 for all but learnable variants."""
    return [{"name": name, "parameters": count_parameters(LOSSES.build(name)),
             "description": LOSSES.entry(name).description} for name in LOSSES.names()]
