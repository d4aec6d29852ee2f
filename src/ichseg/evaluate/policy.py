"""The empty-mask policy: what every metric reports when one or both masks are empty.

A class absent from both reference and prediction, or present in only one, is common
in hemorrhage scans (most scans have no EDH). Libraries differ: MONAI returns NaN for
HD95 when the prediction is empty, so averaging silently drops every missed lesion.
ichseg makes each case explicit:

=================  ==============================  =====================================
case type          overlap (Dice, IoU, NSD)        distances (HD, HD95, ASSD)
=================  ==============================  =====================================
``TP`` both        computed                        computed
``TN`` none        ``both_empty``: 1 (``"one"``,   0 with ``"one"``; NaN with
                   Kok et al.) or NaN (``"exclude"``, ``"exclude"``
                   nnU-Net)
``FP`` pred only   0                               ``one_empty``: ``worst_distance_mm``
``FN`` ref only    0                               (``"worst"``) or NaN (``"exclude"``)
=================  ==============================  =====================================

Every NaN is counted as ``n_excluded`` in summaries, never averaged away unseen.
Sensitivity is undefined (NaN) when the reference is empty, precision when the
prediction is empty, RVD when the reference is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOTH_EMPTY_CHOICES = ("one", "exclude")
ONE_EMPTY_CHOICES = ("worst", "exclude")


@dataclass(frozen=True)
class EmptyMaskPolicy:
    """How metrics treat empty masks (see the module docstring).

    Args:
        both_empty: ``"one"`` (perfect agreement) or ``"exclude"``.
        one_empty: distances when exactly one mask is empty: ``"worst"`` or ``"exclude"``.
        worst_distance_mm: the distance reported as worst; ``None`` uses the diagonal
            of the image in mm (the largest distance possible in it).

    Example:
        >>> EmptyMaskPolicy(both_empty="exclude").both_empty
        'exclude'
        >>> EmptyMaskPolicy(both_empty="nan")
        Traceback (most recent call last):
        ...
        ValueError: both_empty must be one of ('one', 'exclude'), got 'nan'
    """

    both_empty: str = "one"
    one_empty: str = "worst"
    worst_distance_mm: float | None = None

    def __post_init__(self) -> None:
        if self.both_empty not in BOTH_EMPTY_CHOICES:
            raise ValueError(f"both_empty must be one of {BOTH_EMPTY_CHOICES}, got {self.both_empty!r}")
        if self.one_empty not in ONE_EMPTY_CHOICES:
            raise ValueError(f"one_empty must be one of {ONE_EMPTY_CHOICES}, got {self.one_empty!r}")
        if self.worst_distance_mm is not None and self.worst_distance_mm <= 0:
            raise ValueError(f"worst_distance_mm must be positive, got {self.worst_distance_mm}")

    def worst_distance(self, shape: tuple[int, ...], spacing) -> float:
        if self.worst_distance_mm is not None:
            return float(self.worst_distance_mm)
        return float(np.linalg.norm(np.asarray(shape) * np.asarray(spacing, float)))

    def overlap_value(self, pred_empty: bool, ref_empty: bool) -> float | None:
        """The Dice/IoU/NSD value fixed by the policy, or None when it must be computed."""
        if pred_empty and ref_empty:
            return 1.0 if self.both_empty == "one" else float("nan")
        if pred_empty or ref_empty:
            return 0.0
        return None

    def distance_value(self, pred_empty: bool, ref_empty: bool, shape, spacing) -> float | None:
        """The distance fixed by the policy, or None when it must be computed."""
        if pred_empty and ref_empty:
            return 0.0 if self.both_empty == "one" else float("nan")
        if pred_empty or ref_empty:
            return self.worst_distance(shape, spacing) if self.one_empty == "worst" else float("nan")
        return None


def case_type(pred_empty: bool, ref_empty: bool) -> str:
    """``TP`` both present, ``TN`` both empty, ``FP`` prediction only, ``FN`` reference only."""
    if pred_empty and ref_empty:
        return "TN"
    if ref_empty:
        return "FP"
    if pred_empty:
        return "FN"
    return "TP"
