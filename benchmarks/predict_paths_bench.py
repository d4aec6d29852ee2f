"""The labels of each way ``predict`` can run, on a held-out synthetic test set: the torch
network (the GPU path, and the CPU path without ONNX Runtime), its ONNX graph on ONNX
Runtime (the CPU path), the graph with ``--fast`` (labels mapped back by nearest
neighbour instead of interpolated probabilities), the torch network under bfloat16 autocast
(``--precision bfloat16``), and ``--tta`` on ONNX Runtime and in bfloat16 (three network passes,
where the network's speed counts most). Per case: the voxels whose label differs
from the torch path, how far the probabilities differ, Dice of any hemorrhage (labels 1-5)
against the torch path and against the reference labels, and seconds per path.

The test set comes from other seeds and lesion shapes than training (see
``benchmarks/accuracy_bench.py``), e.g. ``ichseg synth -o synth_test -n 12 --seed 12 --base
src/ichseg/resources/ge_head_ct --base-fraction 0.35 --negatives 0.15 --shape-bank
../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 1/2``.
Writes ``benchmarks/results/predict_paths_bench.json``.

Usage: ``python benchmarks/predict_paths_bench.py TEST_DATASET [--model default]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.io import read_volume

RESULTS = Path(__file__).parent / "results" / "predict_paths_bench.json"


def dice(a: np.ndarray, b: np.ndarray) -> float | None:
    total = int(a.sum()) + int(b.sum())
    return None if total == 0 else 2 * int((a & b).sum()) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    paths = {"torch": Predictor([load_bundle(args.model)], device="cpu"),
             "onnx": Predictor([load_bundle(args.model, onnx=True)], device="cpu")}
    assert paths["onnx"].bundles[0].exported, "the bundle has no ONNX graph (or onnxruntime is missing)"
    paths["onnx_fast"] = Predictor(paths["onnx"].bundles, device="cpu", fast=True)
    bf16_bundle = load_bundle(args.model)  # its own copy: bfloat16 turns the network channels-last
    paths["torch_bf16"] = Predictor([bf16_bundle], device="cpu", precision="bfloat16")
    paths["onnx_tta"] = Predictor(paths["onnx"].bundles, device="cpu", tta=True)
    paths["torch_bf16_tta"] = Predictor([bf16_bundle], device="cpu", precision="bfloat16", tta=True)
    rows = []
    for case in list_dataset_cases(args.dataset):
        volume = read_volume(case.image)
        truth = read_volume(case.label).array
        truth_blood = (truth >= 1) & (truth <= 5)
        seconds, labels, probabilities = {}, {}, {}
        for name, predictor in paths.items():
            started = time.perf_counter()
            probabilities[name], grid = predictor.probabilities(volume)
            labels[name] = predictor._labels(probabilities[name], grid, volume).array
            seconds[name] = round(time.perf_counter() - started, 3)
        blood = {name: (value >= 1) & (value <= 5) for name, value in labels.items()}
        rows.append({
            "case": case.case, "seconds": seconds,
            "differing_voxels": {name: int((labels[name] != labels["torch"]).sum()) for name in paths},
            "max_abs_probability_difference": float(np.abs(probabilities["torch"] - probabilities["onnx"]).max()),
            "max_abs_probability_difference_bf16": float(np.abs(probabilities["torch"]
                                                                - probabilities["torch_bf16"]).max()),
            "dice_any_tta_bf16_vs_onnx": dice(blood["torch_bf16_tta"], blood["onnx_tta"]),
            "dice_any_vs_torch": {name: dice(blood[name], blood["torch"]) for name in paths},
            "dice_any_vs_reference": {name: dice(mask, truth_blood) for name, mask in blood.items()},
        })
        print(json.dumps(rows[-1]))

    def values(key: str, name: str) -> list[float]:
        return [r[key][name] for r in rows if r[key][name] is not None]

    summary = {
        "cases": len(rows), "model": args.model, "dataset": args.dataset.name,
        "cases_with_labels_identical_to_torch": {name: sum(r["differing_voxels"][name] == 0 for r in rows)
                                                 for name in paths},
        "min_dice_any_vs_torch": {name: min(values("dice_any_vs_torch", name), default=None) for name in paths},
        "max_abs_probability_difference_onnx_vs_torch": max(r["max_abs_probability_difference"] for r in rows),
        "max_abs_probability_difference_bf16_vs_torch": max(r["max_abs_probability_difference_bf16"] for r in rows),
        "min_dice_any_tta_bf16_vs_onnx": min((r["dice_any_tta_bf16_vs_onnx"] for r in rows
                                              if r["dice_any_tta_bf16_vs_onnx"] is not None), default=None),
        "mean_dice_any_vs_reference": {name: float(np.mean(values("dice_any_vs_reference", name))) for name in paths},
        "median_seconds": {name: float(np.median([r["seconds"][name] for r in rows])) for name in paths},
    }
    print(json.dumps(summary))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "cases": rows}, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
