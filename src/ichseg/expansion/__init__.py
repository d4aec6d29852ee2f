"""Hematoma expansion between a baseline and a follow-up scan: registration, volume
change per type, the expansion flags and a side-by-side picture."""

from .growth import volume_change
from .run import measure_expansion

__all__ = ["measure_expansion", "volume_change"]
