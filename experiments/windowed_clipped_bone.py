"""Can a rule stop the clipped skull of an 8-bit brain-window export reading as blood?

In a 40/80 brain window everything from 80 HU up is stored as grey level 255: the skull
and acute blood denser than 80 HU become the same value. The windowed model still labels
parts of the clipped skull as extra-axial blood on normal heads (issue #16, mode e of
``benchmarks/input_robustness_bench.py``). This experiment scores, on a synthetic
*validation* set exported as the benchmark does, two candidate rules applied after prediction:

- ``saturated_not_blood``: no voxel at the window's top is blood;
- ``clipped_bone_not_blood``: no voxel of a saturated (26-connected) component that comes
  within 10 mm of the air outside the head (the skull, and whatever dense blood touches it)
  is blood (``ichseg.postprocess.clipped_bone``, shipped for windowed input since).

Reported per rule: Dice(any hemorrhage, the five blood types) over the positive cases and
false blood (mL) on the normal heads, against no rule.

Usage: ``python experiments/windowed_clipped_bone.py VALIDATION_DATASET [--cases N] [--output JSON]``
Writes ``experiments/results/windowed_clipped_bone.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.infer.predictor import load_predictor
from ichseg.io import Volume, read_nifti
from ichseg.postprocess import PostprocessConfig, clipped_bone
from ichseg.postprocess.clipped_bone import SATURATION_LEVELS
from ichseg.preprocess import to_ras

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from input_robustness_bench import BRAIN_WINDOW, dice, is_blood, png_export

RESULTS = Path(__file__).parent / "results" / "windowed_clipped_bone.json"


def clipped_masks(image: Volume) -> dict[str, np.ndarray]:
    """The voxels each rule takes away from blood, on ``image``'s grid (a read-back export)."""
    centre, width = BRAIN_WINDOW
    return {"saturated_not_blood": image.array >= centre + width / 2 - SATURATION_LEVELS * width / 255,
            "clipped_bone_not_blood": clipped_bone(image.array, image.spacing, BRAIN_WINDOW)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="validation dataset (nnU-Net layout, as written by ichseg synth)")
    parser.add_argument("--cases", type=int, default=None, help="first N cases only")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    # the rules applied here after the shipped post-processing, so not by the predictor as well
    predictor = load_predictor(("windowed",), device="cpu",
                               postprocessing=PostprocessConfig(clipped_bone_not_blood=False))
    rules = ("none", "saturated_not_blood", "clipped_bone_not_blood")
    rows = []
    for entry in list_dataset_cases(args.dataset)[: args.cases]:
        truth = to_ras(read_nifti(entry.label))
        with tempfile.TemporaryDirectory() as folder:
            exported = to_ras(png_export(read_nifti(entry.image), Path(folder)))
        found = is_blood(predictor.predict(exported).array)
        reference = is_blood(truth.array)
        masks = {"none": np.zeros_like(found), **clipped_masks(exported)}
        voxel_ml = float(np.prod(exported.spacing)) / 1000
        row = {"case": entry.case, "true_ml": round(float(reference.sum()) * voxel_ml, 2)}
        for rule in rules:
            kept = found & ~masks[rule]
            row[rule] = {"dice_any": dice(kept, reference), "found_ml": round(float(kept.sum()) * voxel_ml, 2)}
        rows.append(row)
        print(entry.case, {rule: row[rule] for rule in rules}, flush=True)
    summary = {}
    for rule in rules:
        positive = [row[rule]["dice_any"] for row in rows if row["true_ml"] > 0]
        normal = [row[rule]["found_ml"] for row in rows if row["true_ml"] == 0]
        summary[rule] = {"dice_any_positive_mean": round(float(np.mean(positive)), 3) if positive else None,
                         "false_blood_ml_normal_mean": round(float(np.mean(normal)), 3) if normal else None,
                         "n_positive": len(positive), "n_normal": len(normal)}
    print(json.dumps(summary, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"dataset": str(args.dataset), "window": BRAIN_WINDOW, "summary": summary,
                                       "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
