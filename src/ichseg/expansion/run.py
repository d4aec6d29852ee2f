"""``measure_expansion``: both scans segmented, the follow-up registered to the baseline,
the volume change, flags and the picture written (layout: docs/reference/expansion.md).

Example::

    from ichseg.infer.predictor import load_predictor
    predictor = load_predictor(("default",), device="cpu")
    result = measure_expansion("baseline/", "followup/", "growth_out", predictor)
    result["change"]["IPH"]["change_ml"], result["change"]["iph_expansion"]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import __version__
from ..infer.segment import segment_volume
from ..io import InputError, Volume, read_volume, write_nifti
from ..io.atomic import write_text_atomic
from ..preprocess.brain_mask import HEAD_THRESHOLD_HU
from .growth import volume_change
from .picture import render_expansion
from .registration import register_rigid, resample_to

# after a good rigid registration two scans of one head overlap almost entirely
MIN_HEAD_OVERLAP_DICE = 0.85


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum() + b.sum())
    return 1.0 if total == 0 else 2.0 * float(np.logical_and(a, b).sum()) / total


def _write_scan(folder: Path, labels: Volume, volumes: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_nifti(labels, folder / "segmentation.nii.gz", dtype=np.uint8)
    write_text_atomic(folder / "volumes.json", json.dumps(volumes, indent=1) + "\n")


def measure_expansion(baseline: str | Path | Volume, followup: str | Path | Volume, output: str | Path, predictor,
                      *, read_options: dict | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """Segment both scans, register, measure; write ``output`` and return ``expansion.json``'s content.

    Raises:
        InputError: a scan cannot be read, or the output is not a writable folder.
    """
    say = progress or (lambda text: None)
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise InputError(output, "the output exists and is not a folder")
    scans = []
    for name, scan in (("baseline", baseline), ("follow-up", followup)):
        say(f"reading the {name}")
        scans.append(scan if isinstance(scan, Volume) else read_volume(scan, **(read_options or {})))
    results = []
    for name, scan in zip(("baseline", "follow-up"), scans, strict=True):
        say(f"segmenting the {name}")
        results.append(segment_volume(predictor, scan))
    say("registering the follow-up to the baseline")
    transform = register_rigid(scans[0], scans[1], progress=say)
    image_on_baseline = resample_to(scans[0], scans[1], transform)
    labels_on_baseline = resample_to(scans[0], results[1].labels, transform, labels=True)
    overlap = _dice(np.asarray(scans[0].array) > HEAD_THRESHOLD_HU,
                    np.asarray(image_on_baseline.array) > HEAD_THRESHOLD_HU)
    warnings = [f"baseline: {w}" for w in results[0].warnings] + [f"follow-up: {w}" for w in results[1].warnings]
    if overlap < MIN_HEAD_OVERLAP_DICE:
        warnings.append(f"the registered heads overlap poorly (Dice {overlap:.2f} < {MIN_HEAD_OVERLAP_DICE}): "
                        "check expansion.png before trusting the aligned views (the volumes do not depend on it)")
    change = volume_change(results[0].volumes, results[1].volumes)
    say("writing")
    output.mkdir(parents=True, exist_ok=True)
    _write_scan(output / "baseline", results[0].labels, results[0].volumes)
    _write_scan(output / "followup", results[1].labels, results[1].volumes)
    write_nifti(labels_on_baseline, output / "followup" / "segmentation_on_baseline.nii.gz", dtype=np.uint8)
    render_expansion(scans[0], results[0].labels, image_on_baseline, labels_on_baseline, change,
                     output / "expansion.png")
    record = {
        "ichseg": __version__,
        "baseline": str(baseline) if not isinstance(baseline, Volume) else "(volume)",
        "followup": str(followup) if not isinstance(followup, Volume) else "(volume)",
        "change": change,
        "registration": transform.to_dict() | {"head_overlap_dice": round(overlap, 4)},
        "warnings": warnings,
    }
    write_text_atomic(output / "expansion.json", json.dumps(record, indent=1) + "\n")
    return record
