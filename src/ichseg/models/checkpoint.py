"""Checkpoints: atomic writes, safe loading (``weights_only=True``), everything a run
needs to continue (model, optimiser, schedule, scaler, EMA, step, RNG) and everything a
user needs to apply the model (plan, label schema, training config)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..io.atomic import atomic_path
from ..labels import LABELS

LAST = "checkpoint_last.pt"
BEST = "checkpoint_best.pt"


def save_checkpoint(path: str | Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a killed process leaves the old file intact).

    The label schema is added as ``labels`` (name -> value).
    """
    path = Path(path)
    state = {**state, "labels": {name: value for value, name in LABELS.items()}}
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Read a checkpoint safely (no arbitrary pickled objects).

    Raises:
        ValueError: the file cannot be read as a checkpoint (naming it).
    """
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise ValueError(f"{path}: not a readable ichseg checkpoint ({error})") from error
