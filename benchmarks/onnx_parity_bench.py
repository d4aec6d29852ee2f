"""The ONNX graph against the network it was exported from, on a held-out synthetic test
set: the labels ``ichseg predict`` writes with each (the fast CPU path runs the graph on
ONNX Runtime, the GPU path the torch network), how far their probabilities differ, and
both against the reference labels (Dice of any hemorrhage, labels 1-5).

The test set comes from other seeds and lesion shapes than training (see
``benchmarks/accuracy_bench.py``), e.g. ``ichseg synth -o synth_test -n 12 --seed 12 --base
src/ichseg/resources/ge_head_ct --base-fraction 0.35 --negatives 0.15 --shape-bank
../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 1/2``.
Writes ``benchmarks/results/onnx_parity_bench.json``.

Usage: ``python benchmarks/onnx_parity_bench.py TEST_DATASET [--model default]``
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

RESULTS = Path(__file__).parent / "results" / "onnx_parity_bench.json"


def dice(a: np.ndarray, b: np.ndarray) -> float | None:
    total = int(a.sum()) + int(b.sum())
    return None if total == 0 else 2 * int((a & b).sum()) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    torch_path = Predictor([load_bundle(args.model)], device="cpu")
    graph_path = Predictor([load_bundle(args.model, onnx=True)], device="cpu")
    assert graph_path.bundles[0].exported, "the bundle has no ONNX graph (or onnxruntime is missing)"
    rows = []
    for case in list_dataset_cases(args.dataset):
        volume = read_volume(case.image)
        reference = read_volume(case.label).array.astype(np.uint8)
        timings, labels, probabilities = {}, {}, {}
        for name, predictor in (("torch", torch_path), ("onnx", graph_path)):
            started = time.perf_counter()
            probabilities[name], grid = predictor.probabilities(volume)
            labels[name] = predictor._labels(probabilities[name], grid, volume).array
            timings[name] = round(time.perf_counter() - started, 3)
        blood = {name: (value >= 1) & (value <= 5) for name, value in labels.items()}
        rows.append({
            "case": case.case, "seconds": timings,
            "identical_voxel_share": float((labels["torch"] == labels["onnx"]).mean()),
            "differing_voxels": int((labels["torch"] != labels["onnx"]).sum()),
            "max_abs_probability_difference": float(np.abs(probabilities["torch"] - probabilities["onnx"]).max()),
            "dice_any_onnx_vs_torch": dice(blood["torch"], blood["onnx"]),
            "dice_any_vs_reference": {name: dice(mask, (reference >= 1) & (reference <= 5))
                                      for name, mask in blood.items()},
        })
        print(json.dumps(rows[-1]))
    agreements = [r["dice_any_onnx_vs_torch"] for r in rows if r["dice_any_onnx_vs_torch"] is not None]
    summary = {
        "cases": len(rows), "model": args.model, "dataset": str(args.dataset),
        "min_dice_any_onnx_vs_torch": min(agreements) if agreements else None,
        "cases_with_identical_labels": sum(r["differing_voxels"] == 0 for r in rows),
        "max_abs_probability_difference": max(r["max_abs_probability_difference"] for r in rows),
        "mean_dice_any_vs_reference": {
            name: float(np.mean([r["dice_any_vs_reference"][name] for r in rows
                                 if r["dice_any_vs_reference"][name] is not None])) for name in ("torch", "onnx")},
        "median_seconds": {name: float(np.median([r["seconds"][name] for r in rows])) for name in ("torch", "onnx")},
    }
    print(json.dumps(summary))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "cases": rows}, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
