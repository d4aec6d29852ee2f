"""Preparing a Volume for a model: orientation, resampling, windowing, normalisation,
intracranial masks and cropping. Functions take and return arrays or Volumes."""

from .brain_mask import brain_mask, head_mask
from .crop import bounding_box, crop, uncrop
from .normalization import CTIntensityStatistics, collect_foreground_statistics, normalize_ct
from .orientation import reorient, to_ras
from .resample import resample_like, resample_to_grid, resample_to_spacing
from .windowing import WINDOW_PRESETS, window_channels, window_from_center_width, window_hu

__all__ = [
    "WINDOW_PRESETS",
    "CTIntensityStatistics",
    "bounding_box",
    "brain_mask",
    "collect_foreground_statistics",
    "crop",
    "head_mask",
    "normalize_ct",
    "reorient",
    "resample_like",
    "resample_to_grid",
    "resample_to_spacing",
    "to_ras",
    "uncrop",
    "window_channels",
    "window_from_center_width",
    "window_hu",
]
