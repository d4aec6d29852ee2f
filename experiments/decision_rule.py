"""Which voxels become hemorrhage: the argmax of the class probabilities (``ichseg predict``)
or "blood where P(IPH) + ... + P(EDH) >= t", on a synthetic *validation* set.

Why ask: the bundled model under-segments SAH, and for calibrated probabilities the
Dice-optimal threshold lies below 0.5 (about half the best reachable Dice), so a lower
``t`` could recover missed blood. Summing the five bleed classes also counts a voxel whose
probability is split between two types. With the threshold rule a voxel's type is its most
likely bleed, and a voxel left out is edema or background, whichever is more likely.

Each case is predicted once; every class probability is interpolated onto the input grid
(inside the box of candidate voxels) and each rule is applied there, then the default
post-processing, then the scoring of :func:`ichseg.evaluate.headline.score_label_maps` (Dice(any) over all cases
with a clean normal head = 1, over positive cases, per type, volume CCC, false positives on
normal heads). ``argmax`` is the rule of ``ichseg predict`` (its scores match
``experiments/postprocessing.py`` on the same model and set).

Usage: ``python experiments/decision_rule.py VALIDATION_DATASET [--model default]
[--thresholds 0.3,0.4,0.5] [--output JSON]``. Writes ``experiments/results/decision_rule.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.evaluate.headline import score_label_maps
from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor, box_grid, input_box
from ichseg.io import InputError
from ichseg.io.nifti import read_nifti
from ichseg.labels import HEMORRHAGE_LABELS, PHE
from ichseg.postprocess import PostprocessConfig, postprocess
from ichseg.preprocess import resample_to_grid

RESULTS = Path(__file__).parent / "results" / "decision_rule.json"
DEFAULT_THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
BLEEDS = np.array(HEMORRHAGE_LABELS)


def threshold_rule(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Labels from ``(classes, ...)`` probabilities: the most likely bleed where the bleeds'
    summed probability reaches ``threshold``, else edema or background.

    Example:
        >>> p = np.zeros((7, 2)); p[0] = [0.45, 0.7]; p[3] = [0.3, 0.1]; p[4] = [0.25, 0.2]
        >>> threshold_rule(p, 0.5).tolist(), p.argmax(0).tolist()
        ([3, 0], [0, 0])
    """
    bleeds = probabilities[BLEEDS]
    bleed_labels = BLEEDS[bleeds.argmax(0)]
    other_labels = np.where(probabilities[PHE] > probabilities[0], PHE, 0)
    return np.where(bleeds.sum(0) >= threshold, bleed_labels, other_labels).astype(np.uint8)


def rule_labels(predictor: Predictor, volume, thresholds) -> dict[str, np.ndarray]:
    """Labels on ``volume``'s grid for ``argmax`` and each ``blood_<t>`` rule, post-processing off."""
    probabilities, grid = predictor.probabilities(volume)
    model_grid = probabilities
    candidates = (model_grid.argmax(0) > 0) | (model_grid[BLEEDS].sum(0) >= min(thresholds))
    rules = {name: np.zeros(volume.shape, np.uint8) for name in ["argmax", *(f"blood_{t}" for t in thresholds)]}
    box = input_box(grid, candidates, volume)
    if box is None:
        return rules
    shape, affine = box_grid(volume, box)
    on_input = np.stack([
        resample_to_grid(grid.with_array(channel), shape, affine, order=1, cval=1.0 if value == 0 else 0.0).array
        for value, channel in enumerate(model_grid)])
    rules["argmax"][box] = on_input.argmax(0)
    for t in thresholds:
        rules[f"blood_{t}"][box] = threshold_rule(on_input, t)
    return rules


def thresholds_argument(text: str) -> list[float]:
    """``--thresholds``: comma-separated numbers in (0, 1].

    Example:
        >>> thresholds_argument("0.3,0.5")
        [0.3, 0.5]
    """
    try:
        values = [float(value) for value in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not all(0 < value <= 1 for value in values):
        raise argparse.ArgumentTypeError(f"thresholds must lie in (0, 1], got {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="validation dataset (nnU-Net layout, as written by ichseg synth)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--thresholds", type=thresholds_argument, default=list(DEFAULT_THRESHOLDS),
                        help="comma-separated thresholds on the summed bleed probability")
    parser.add_argument("--output", default=str(RESULTS), help="JSON file for the results")
    args = parser.parse_args()
    try:
        entries = list_dataset_cases(Path(args.dataset))
    except InputError as error:
        sys.exit(f"decision_rule: {error}")
    predictor = Predictor([load_bundle(args.model, onnx=True)], device="cpu")
    cases: dict[str, list] = {}
    start = time.perf_counter()
    for entry in entries:
        volume = read_nifti(entry.image)
        reference = read_nifti(entry.label).array.astype(np.uint8)
        for name, labels in rule_labels(predictor, volume, args.thresholds).items():
            cases.setdefault(name, []).append((entry.case, reference, labels, volume.spacing))
        print(f"{entry.case} predicted ({time.perf_counter() - start:.0f} s)", flush=True)
    results = {"dataset": str(args.dataset), "model": args.model, "n_cases": len(entries),
               "postprocessing": PostprocessConfig().to_dict(), "rules": {}}
    for name, rule_cases in cases.items():
        results["rules"][name], _ = score_label_maps([(case, reference, postprocess(labels, spacing, PostprocessConfig()),
                                                        spacing) for case, reference, labels, spacing in rule_cases])
        print(name, json.dumps(results["rules"][name]), flush=True)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
