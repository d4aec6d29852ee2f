"""Does a slice's prediction depend on how the scan was exported? The same held-out
synthetic heads, predicted as people bring them:

(a) the whole volume; (b) every slice alone (one-slice inputs, stacked back); (c) pieces
of 3 consecutive slices; (d) a 1.25 mm reconstruction of the same head (linear along z);
(e) 8-bit brain-window PNG exports of every slice (centre 40, width 80) read back with
``read_volume(folder, window=..., spacing=...)`` as ``ichseg predict --window`` does.

For each mode: Dice(any hemorrhage: the five blood types, not edema) over the cases with
blood, and false blood (mL) on the heads without. Targets (issue #16): (b)-(d) within 0.05 Dice of (a), (e) within 0.10, and
no mode above 0.5 mL mean false blood on normal heads.

Each model is run with the neighbour rule of this ichseg (the nearest slice stands in
for a missing one) and, with ``--old-context``, also with the former rule (missing
neighbours filled with the channel minimum), side by side; with ``--also-keep-clipped-bone``
also without the post-processing rule that takes labels off the clipped skull of windowed input.

Usage: ``python benchmarks/input_robustness_bench.py TEST_DATASET [--model default ...]
[--cases N] [--modes a,b,c,d,e] [--old-context] [--also-keep-clipped-bone] [--output JSON]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import ichseg.infer.sliding_window as sliding_window
from ichseg.data.dataset_format import list_dataset_cases
from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.io import Volume, read_nifti, read_volume
from ichseg.labels import HEMORRHAGE_LABELS
from ichseg.postprocess import PostprocessConfig
from ichseg.preprocess import resample_to_grid, to_ras

RESULTS = Path(__file__).parent / "results" / "input_robustness_bench.json"
BRAIN_WINDOW = (40.0, 80.0)
THIN_MM = 1.25
MODES = {"a": "whole volume", "b": "every slice alone", "c": "3-slice pieces", "d": f"{THIN_MM} mm reconstruction",
         "e": "8-bit brain-window PNG export"}


def minimum_filled_context(channels: np.ndarray, context_slices: int) -> np.ndarray:
    """The neighbour rule before issue #16: missing neighbours = the channel minimum."""
    n_channels, size_x, size_y, n_slices = channels.shape
    if context_slices:
        fill = channels.reshape(n_channels, -1).min(axis=1).reshape(n_channels, 1, 1, 1)
        pad = np.broadcast_to(fill, (n_channels, size_x, size_y, context_slices))
        channels = np.concatenate([pad, channels, pad], axis=3)
    windows = np.lib.stride_tricks.sliding_window_view(channels, 2 * context_slices + 1, axis=3)
    return np.ascontiguousarray(windows.transpose(3, 0, 4, 1, 2)).reshape(n_slices, -1, size_x, size_y)


def piece(volume: Volume, start: int, stop: int) -> Volume:
    """Slices ``start:stop`` of ``volume`` as a volume of their own (affine moved)."""
    affine = volume.affine.copy()
    affine[:3, 3] = volume.affine[:3, :3] @ np.array([0, 0, start]) + volume.affine[:3, 3]
    return Volume(volume.array[:, :, start:stop].copy(), affine, dict(volume.metadata))


def predict_in_pieces(predictor: Predictor, volume: Volume, size: int) -> np.ndarray:
    labels = np.zeros(volume.shape, np.uint8)
    for start in range(0, volume.shape[2], size):
        stop = min(start + size, volume.shape[2])
        labels[:, :, start:stop] = predictor.predict(piece(volume, start, stop)).array
    return labels


def thin_reconstruction(volume: Volume, truth: Volume) -> tuple[Volume, Volume]:
    # thin slices from the first thick slice's centre to the last one's (nothing extrapolated)
    n_slices = int(round((volume.shape[2] - 1) * volume.spacing[2] / THIN_MM)) + 1
    affine = volume.affine.copy()
    affine[:3, 2] = volume.affine[:3, 2] / np.linalg.norm(volume.affine[:3, 2]) * THIN_MM
    shape = (*volume.shape[:2], n_slices)
    thin = resample_to_grid(volume, shape, affine, order=1, cval=-1024.0)
    return thin, resample_to_grid(truth, shape, affine, order=0, cval=0)


def png_export(volume: Volume, folder: Path) -> Volume:
    """Write each axial slice of ``volume`` (RAS) as an 8-bit brain-window PNG in radiological
    display, inferior first, and read the folder back as ``ichseg predict`` would."""
    ras = to_ras(volume)
    low = BRAIN_WINDOW[0] - BRAIN_WINDOW[1] / 2
    grey = np.clip((ras.array - low) / BRAIN_WINDOW[1] * 255.0, 0, 255).round().astype(np.uint8)
    for k in range(grey.shape[2]):
        Image.fromarray(grey[:, :, k].T[::-1, ::-1]).save(folder / f"{k + 1}.png")
    return read_volume(folder, window=BRAIN_WINDOW, spacing=ras.spacing)


def is_blood(labels: np.ndarray) -> np.ndarray:
    """Any hemorrhage: the five blood types, not perihematomal edema."""
    return np.isin(labels, HEMORRHAGE_LABELS)


def dice(a: np.ndarray, b: np.ndarray) -> float | None:
    total = int(a.sum() + b.sum())
    return None if total == 0 else 2.0 * int((a & b).sum()) / total


def evaluate_mode(predictor: Predictor, mode: str, image: Volume, truth: Volume) -> dict:
    started = time.perf_counter()
    reference = is_blood(truth.array)
    voxel_ml = float(np.prod(truth.spacing)) / 1000
    if mode == "a":
        found = predictor.predict(image).array
    elif mode == "b":
        found = predict_in_pieces(predictor, image, 1)
    elif mode == "c":
        found = predict_in_pieces(predictor, image, 3)
    elif mode == "d":
        thin, thin_truth = thin_reconstruction(image, truth)
        found, reference = predictor.predict(thin).array, is_blood(thin_truth.array)
        voxel_ml = float(np.prod(thin.spacing)) / 1000
    else:
        with tempfile.TemporaryDirectory() as folder:
            exported = png_export(image, Path(folder))
        found = to_ras(Volume(predictor.predict(exported).array, exported.affine)).array
        reference = is_blood(to_ras(truth).array)
    found = is_blood(found)
    return {"dice_any": dice(found, reference), "true_ml": round(float(reference.sum()) * voxel_ml, 2),
            "found_ml": round(float(found.sum()) * voxel_ml, 2), "seconds": round(time.perf_counter() - started, 2)}


def summarise(rows: list[dict]) -> dict:
    positives = [r for r in rows if r["true_ml"] > 0]
    negatives = [r for r in rows if r["true_ml"] == 0]
    dices = [r["dice_any"] or 0.0 for r in positives]
    false_ml = [r["found_ml"] for r in negatives]
    return {"dice_any_positive_mean": round(float(np.mean(dices)), 4) if dices else None,
            "false_blood_ml_normal_mean": round(float(np.mean(false_ml)), 3) if false_ml else None,
            "false_blood_ml_normal_max": round(float(np.max(false_ml)), 3) if false_ml else None,
            "n_positive": len(positives), "n_normal": len(negatives)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--model", nargs="+", default=["default"])
    parser.add_argument("--cases", type=int, default=None, help="the first N cases only")
    parser.add_argument("--modes", default="a,b,c,d,e")
    parser.add_argument("--old-context", action="store_true", help="also run the former neighbour rule")
    parser.add_argument("--also-keep-clipped-bone", action="store_true",
                        help="also run without the clipped-bone rule (it acts on windowed input, mode e)")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    cases = list_dataset_cases(args.dataset)[:args.cases]
    modes = args.modes.split(",")
    rules = {"nearest_slice": sliding_window.slices_with_context}
    if args.old_context:
        rules["channel_minimum"] = minimum_filled_context
    results = {"dataset": args.dataset, "cases": [c.case for c in cases], "modes": {m: MODES[m] for m in modes},
               "runs": {}}
    settings = {"": PostprocessConfig()}
    if args.also_keep_clipped_bone:
        settings[" / clipped bone kept"] = PostprocessConfig(clipped_bone_not_blood=False)
    for model, (setting, postprocessing) in itertools.product(args.model, settings.items()):
        predictor = Predictor([load_bundle(model)], device="cpu", postprocessing=postprocessing)
        for rule, function in rules.items():
            sliding_window.slices_with_context = function
            per_mode = {m: [] for m in modes}
            for case in cases:
                image, truth = read_nifti(case.image), read_nifti(case.label)
                for mode in modes:
                    row = evaluate_mode(predictor, mode, image, truth) | {"case": case.case}
                    per_mode[mode].append(row)
                print(model, rule, case.case, {m: per_mode[m][-1]["dice_any"] for m in modes}, flush=True)
            name = f"{model} / {rule}{setting}"
            results["runs"][name] = {m: summarise(rows) | {"rows": rows} for m, rows in per_mode.items()}
            print(name, json.dumps({m: summarise(rows) for m, rows in per_mode.items()}), flush=True)
    sliding_window.slices_with_context = rules["nearest_slice"]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
