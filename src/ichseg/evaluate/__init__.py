"""Metrics of a segmentation against a reference, with explicit empty-mask rules.

One file per metric family, each with a plain function and a callable class (as MONAI
does): :mod:`overlap` (Dice, IoU, sensitivity, ..., volumes), :mod:`hausdorff` (HD, HD95),
:mod:`surface_distance` (ASSD), :mod:`surface_dice` (NSD, surface-area definition),
:mod:`lesions` (lesion-wise detection), :mod:`slices` (slice-level detection).
:mod:`policy` fixes what happens with empty masks; :mod:`case`, :mod:`aggregate` and
:mod:`folders` evaluate cases, summarise them and run whole folders.
"""

from .aggregate import describe_values, summarize
from .case import EvaluationConfig, evaluate_case
from .folders import evaluate_folders
from .hausdorff import HausdorffDistance, compute_hausdorff_distance
from .lesions import LesionDetection, compute_lesion_detection
from .overlap import ConfusionCounts, OverlapMetrics, compute_overlap_metrics
from .policy import EmptyMaskPolicy
from .slices import compute_slice_detection
from .surface_dice import SurfaceDice, compute_surface_dice
from .surface_distance import AverageSurfaceDistance, compute_average_surface_distance

__all__ = [
    "AverageSurfaceDistance", "ConfusionCounts", "EmptyMaskPolicy", "EvaluationConfig", "HausdorffDistance",
    "LesionDetection", "OverlapMetrics", "SurfaceDice", "compute_average_surface_distance",
    "compute_hausdorff_distance", "compute_lesion_detection", "compute_overlap_metrics", "compute_slice_detection",
    "compute_surface_dice", "describe_values", "evaluate_case", "evaluate_folders", "summarize",
]
