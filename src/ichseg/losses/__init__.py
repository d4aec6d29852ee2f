"""Segmentation losses by name (see :mod:`ichseg.losses.registry`) and the
deep-supervision wrapper."""

from .deep_supervision import DeepSupervision
from .registry import LOSSES, build_loss

__all__ = ["LOSSES", "DeepSupervision", "build_loss"]
