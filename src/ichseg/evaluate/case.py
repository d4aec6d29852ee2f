"""Evaluate one case: every metric for every class and class group of the label schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..labels import GROUPS, LABELS, label_value
from .boundary_distances import directed_boundary_distances
from .hausdorff import hausdorff_from_distances
from .lesions import LesionDetection
from .overlap import OverlapMetrics
from .policy import EmptyMaskPolicy, case_type
from .slices import compute_slice_detection
from .surface_dice import INSTANCE_TOLERANCE_MM, SurfaceDice
from .surface_distance import assd_from_distances

DEFAULT_REGIONS = tuple(name for value, name in LABELS.items() if value) + tuple(GROUPS)


@dataclass(frozen=True)
class EvaluationConfig:
    """What to evaluate and how (stored with every summary).

    Args:
        regions: class names of the schema and group names (``any``, ``extra-axial``).
        policy: the empty-mask policy.
        nsd_tolerance_mm: NSD tolerance.
        hd_percentile: percentile of the robust Hausdorff distance (95 -> ``hd95``).
        lesion_min_overlap: fraction of a reference lesion to predict to detect it.
        slice_axis: the axis of slices for slice-level metrics (2 = axial after RAS).
    """

    regions: tuple[str, ...] = DEFAULT_REGIONS
    policy: EmptyMaskPolicy = field(default_factory=EmptyMaskPolicy)
    nsd_tolerance_mm: float = INSTANCE_TOLERANCE_MM
    hd_percentile: float = 95.0
    lesion_min_overlap: float = 0.0
    slice_axis: int = 2

    def __post_init__(self) -> None:
        for name in self.regions:
            region_values(name)

    def to_dict(self) -> dict:
        return asdict(self)


def region_values(name: str) -> tuple[int, ...]:
    """Label values of a class name or group name."""
    if name in GROUPS:
        return GROUPS[name]
    try:
        return (label_value(name),)
    except KeyError:
        raise ValueError(f"unknown class or group {name!r}; known: {', '.join(DEFAULT_REGIONS)}") from None


def _distances(pred: np.ndarray, ref: np.ndarray, spacing, config: EvaluationConfig) -> dict[str, float]:
    fixed = config.policy.distance_value(not pred.any(), not ref.any(), pred.shape, spacing)
    if fixed is not None:
        return {"hd": fixed, "hd95": fixed, "assd": fixed}
    # the boundary distances are computed once and scored by each metric's own function
    to_ref, to_pred = directed_boundary_distances(pred, ref, spacing)
    return {
        "hd": hausdorff_from_distances(to_ref, to_pred, 100.0),
        "hd95": hausdorff_from_distances(to_ref, to_pred, config.hd_percentile),
        "assd": assd_from_distances(to_ref, to_pred),
    }


def evaluate_case(
    pred_labels: np.ndarray, ref_labels: np.ndarray, spacing: Sequence[float],
    config: EvaluationConfig = EvaluationConfig()
) -> list[dict]:
    """One row per region with all metrics (NaN where the policy or definition excludes).

    Example:
        >>> import numpy as np
        >>> ref = np.zeros((16, 16, 6), np.uint8); ref[4:9, 4:9, 2:4] = 1
        >>> rows = evaluate_case(ref, ref, (0.5, 0.5, 5.0), EvaluationConfig(regions=("IPH", "SDH")))
        >>> [(r["region"], r["case_type"], r["dice"]) for r in rows]
        [('IPH', 'TP', 1.0), ('SDH', 'TN', 1.0)]
    """
    if pred_labels.shape != ref_labels.shape:
        raise ValueError(f"prediction shape {pred_labels.shape} differs from reference {ref_labels.shape}")
    overlap = OverlapMetrics(policy=config.policy)
    surface_dice = SurfaceDice(tolerance_mm=config.nsd_tolerance_mm, policy=config.policy)
    lesions = LesionDetection(min_overlap=config.lesion_min_overlap)
    rows = []
    for name in config.regions:
        values = region_values(name)
        pred, ref = np.isin(pred_labels, values), np.isin(ref_labels, values)
        row: dict = {"region": name, "case_type": case_type(not pred.any(), not ref.any())}
        row.update(overlap(pred, ref, spacing))
        row.update(_distances(pred, ref, spacing, config))
        row["nsd"] = surface_dice(pred, ref, spacing)
        row.update(lesions(pred, ref))
        row.update(compute_slice_detection(pred, ref, axis=config.slice_axis))
        rows.append(row)
    return rows
