"""Summaries of per-case metrics: mean, median, IQR and bootstrap 95% CIs per region.

Excluded values (NaN by the empty-mask policy or by definition) are counted in
``n_excluded``, never averaged in or dropped unseen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from ..stats.bootstrap import bootstrap_ci

SUMMARY_METRICS = (
    "dice", "iou", "hd", "hd95", "assd", "nsd", "rvd", "abs_rvd", "sensitivity", "specificity", "precision",
    "accuracy", "pred_volume_ml", "ref_volume_ml", "volume_difference_ml", "lesion_f1", "slice_sensitivity",
    "slice_specificity", "slice_f1",
)
POOLED_COUNTS = ("lesion_tp", "lesion_fp", "lesion_fn", "slice_tp", "slice_fp", "slice_fn", "slice_tn")


def describe_values(
    values: Sequence[float], *, n_resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> dict[str, float | int | None]:
    """n, n_excluded, mean, median, q25, q75 and a percentile-bootstrap CI of the mean.

    ``n_resamples=0`` skips the bootstrap: ``ci_low`` and ``ci_high`` are None.

    Example:
        >>> stats = describe_values([1.0, 2.0, float("nan"), 3.0])
        >>> stats["n"], stats["n_excluded"], stats["mean"], stats["median"]
        (3, 1, 2.0, 2.0)
    """
    array = np.asarray(values, float)
    valid = array[~np.isnan(array)]
    out: dict[str, float | int | None] = {"n": int(valid.size), "n_excluded": int(array.size - valid.size)}
    if valid.size == 0:
        return out | {"mean": None, "median": None, "q25": None, "q75": None, "ci_low": None, "ci_high": None}
    low, high = bootstrap_ci(valid, n_resamples=n_resamples, level=level, seed=seed) if n_resamples else (None, None)
    q25, median, q75 = np.percentile(valid, [25, 50, 75])
    return out | {
        "mean": float(valid.mean()),
        "median": float(median),
        "q25": float(q25),
        "q75": float(q75),
        "ci_low": low,
        "ci_high": high,
    }


def summarize(
    rows: Iterable[dict], *, metrics: Sequence[str] = SUMMARY_METRICS, n_resamples: int = 2000, level: float = 0.95,
    seed: int = 0,
) -> dict[str, dict]:
    """Per region: case-type counts, pooled detection scores and per-metric statistics."""
    by_region: dict[str, list[dict]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row)
    summary = {}
    for region, region_rows in by_region.items():
        pooled = {key: int(sum(r.get(key, 0) or 0 for r in region_rows)) for key in POOLED_COUNTS}
        tp, fp, fn = pooled["lesion_tp"], pooled["lesion_fp"], pooled["lesion_fn"]
        summary[region] = {
            "n_cases": len(region_rows),
            "case_types": dict(Counter(r["case_type"] for r in region_rows)),
            "pooled": pooled | {"lesion_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None},
            "metrics": {
                name: describe_values([r.get(name, np.nan) for r in region_rows], n_resamples=n_resamples,
                                      level=level, seed=seed)
                for name in metrics
            },
        }
    return summary
