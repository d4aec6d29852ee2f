"""Predicted and reference volumes of a labelled dataset, case by case, with the uncertain
volume of each type: the data the volume intervals are calibrated on and checked against
(``release/calibrate_uncertainty.py``, ``benchmarks/uncertainty_bench.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..data.dataset_format import list_dataset_cases
from ..io import read_volume
from ..labels import HEMORRHAGE_LABELS, LABELS
from .segment import segment_volume


def volume_records(dataset: str | Path, predictor, *, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per case and type (``any`` included): ``true_ml``, ``predicted_ml``, ``uncertain_ml``
    and, where the predictor's model is calibrated, ``interval_ml``."""
    records = []
    cases = list_dataset_cases(dataset)
    for n, case in enumerate(cases):
        result = segment_volume(predictor, read_volume(case.image), uncertainty=True)
        reference = np.asarray(read_volume(case.label).array).astype(np.int64)
        voxel_ml = result.labels.voxel_volume_ml
        counts = np.bincount(reference.ravel(), minlength=len(LABELS))
        row: dict = {"case": case.case}
        for value, name in LABELS.items():
            if value:
                entry = result.volumes[name]
                row[name] = {"true_ml": round(float(counts[value]) * voxel_ml, 3), "predicted_ml": entry["volume_ml"],
                             "uncertain_ml": entry["uncertain_ml"], "interval_ml": entry["volume_interval_ml"]}
        row["any"] = {"true_ml": round(float(sum(counts[v] for v in HEMORRHAGE_LABELS)) * voxel_ml, 3),
                      "predicted_ml": result.volumes["any_hemorrhage_ml"],
                      "uncertain_ml": round(sum(result.volumes[LABELS[v]]["uncertain_ml"] for v in HEMORRHAGE_LABELS),
                                            3),
                      "interval_ml": result.volumes["any_hemorrhage_interval_ml"]}
        records.append(row)
        if progress:
            progress(f"{n + 1}/{len(cases)} {case.case}: any true {row['any']['true_ml']:.1f} "
                     f"predicted {row['any']['predicted_ml']:.1f} mL")
    return records
