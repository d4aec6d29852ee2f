"""``evaluate_folders``: match predictions to references by case name, write a table.

References are label NIfTIs (``labelsTr/<case>.nii.gz``); predictions either
``<case>.nii.gz`` files or ``ichseg predict`` output folders (``<case>/segmentation.nii.gz``).
A case that cannot be evaluated (missing prediction, other grid, unreadable file) is
listed with its reason in ``summary.json`` and the others still finish.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..io import InputError, read_nifti
from ..io.atomic import write_text_atomic
from ..io.nifti import NIFTI_SUFFIXES
from ..labels import LABELS
from .aggregate import summarize
from .case import EvaluationConfig, evaluate_case

GRID_TOLERANCE_MM = 1e-3


def case_name(path: Path) -> str:
    """``scan_01.nii.gz`` -> ``scan_01``."""
    name = path.name
    for suffix in NIFTI_SUFFIXES[::-1]:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def find_cases(folder: str | Path) -> dict[str, Path]:
    """Case name -> label file in a folder of NIfTIs or of ``<case>/segmentation.nii.gz``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    cases = {case_name(p): p for p in sorted(folder.iterdir())
             if p.is_file() and p.name.lower().endswith(NIFTI_SUFFIXES)}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        segmentation = sub / "segmentation.nii.gz"
        if segmentation.is_file():
            cases.setdefault(sub.name, segmentation)
    return cases


def apply_label_map(labels: np.ndarray, mapping: Mapping[int, int] | None) -> np.ndarray:
    """Map label values (unlisted values keep theirs), e.g. BHSD -> ichseg."""
    if not mapping:
        return labels
    table = np.arange(max(int(labels.max()), max(mapping)) + 1, dtype=np.int64)
    for source, target in mapping.items():
        table[source] = target
    return table[labels.astype(np.int64)]


def label_array(volume, path: Path, mapping: Mapping[int, int] | None) -> np.ndarray:
    """The integer labels of a label map after ``mapping``, refused (naming ``path`` and the
    values) when it holds NaN, fractions or values outside ichseg's schema."""
    array = volume.array
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise InputError(path, "label map holds NaN or infinite values")
        if not np.array_equal(array, np.rint(array)):
            raise InputError(path, "label map holds non-integer values (a probability map, not labels?)")
    if array.size and array.min() < 0:
        raise InputError(path, f"label map holds negative values (down to {array.min()})")
    labels = apply_label_map(array.astype(np.int64), mapping)
    unknown = sorted(set(np.unique(labels).tolist()) - set(LABELS))
    if unknown:
        hint = "" if mapping else " (map them with --pred-map/--gt-map)"
        raise InputError(path, f"label values {unknown[:10]} are not in ichseg's schema 0-{max(LABELS)}{hint}")
    return labels


def write_metrics_csv(rows: list[dict], path: Path) -> None:
    """One row per case x region; excluded (NaN) values are written as empty cells."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
    write_text_atomic(path, buffer.getvalue())


def evaluate_folders(
    pred_folder: str | Path,
    ref_folder: str | Path,
    out_folder: str | Path,
    config: EvaluationConfig = EvaluationConfig(),
    *,
    pred_map: Mapping[int, int] | None = None,
    ref_map: Mapping[int, int] | None = None,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict:
    """Evaluate every reference case; write ``metrics.csv`` and ``summary.json``.

    Returns:
        The summary (also written): config, per-region statistics, evaluated and failed cases.
    """
    references = find_cases(ref_folder)
    if not references:
        raise InputError(ref_folder, "no reference NIfTI label files")
    predictions = find_cases(pred_folder)
    out = Path(out_folder)
    out.mkdir(parents=True, exist_ok=True)
    rows, failed = [], {}
    for name, ref_path in references.items():
        try:
            if name not in predictions:
                raise InputError(Path(pred_folder) / name, "no prediction for this case")
            ref = read_nifti(ref_path, nan_as_air=False)
            pred = read_nifti(predictions[name], nan_as_air=False)
            if pred.shape != ref.shape or not np.allclose(pred.affine, ref.affine, atol=GRID_TOLERANCE_MM):
                raise InputError(predictions[name], f"grid {pred.shape} differs from reference {ref.shape} / affine")
            pred_labels = label_array(pred, predictions[name], pred_map)
            ref_labels = label_array(ref, ref_path, ref_map)
            for row in evaluate_case(pred_labels, ref_labels, ref.spacing, config):
                rows.append({"case": name} | row)
        except (InputError, ValueError) as error:
            failed[name] = str(error)
    extra = sorted(set(predictions) - set(references))
    summary = {
        "config": config.to_dict() | {"n_resamples": n_resamples, "seed": seed},
        "n_cases": len(references),
        "n_evaluated": len(references) - len(failed),
        "failed": failed,
        "predictions_without_reference": extra,
        "regions": summarize(rows, n_resamples=n_resamples, seed=seed),
    }
    if rows:
        write_metrics_csv(rows, out / "metrics.csv")
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
