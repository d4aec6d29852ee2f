"""Accuracy of a model on a held-out synthetic test set, with ``ichseg evaluate`` and
``ichseg compare``: Dice per type and for any hemorrhage, volume agreement (CCC,
Bland-Altman) - for the default post-processing and for each step switched off.
A type's Dice is averaged over the cases that have it or were given it; beside it, Dice over
the cases that have it and the number of cases given it wrongly tell misses from false types.

The test set must come from other seeds and lesion shapes than training, e.g.
``ichseg synth -o synth_test -n 40 --seed 12 --base src/ichseg/resources/ge_head_ct
--base-fraction 0.35 --negatives 0.15 --shape-bank .../HemSeg-500.zip --shape-part 1/2``.
Writes ``benchmarks/results/accuracy_bench.json`` (or ``--output``).

Usage: ``python benchmarks/accuracy_bench.py TEST_DATASET [--model default] [--work DIR] [--output JSON]``
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.evaluate.headline import headline_summary
from ichseg.io import InputError

RESULTS = Path(__file__).parent / "results" / "accuracy_bench.json"
VARIANTS = {
    "default": [],
    "no_postprocessing": ["--min-component-ml", "0"],
    "min_component_0.05ml": ["--min-component-ml", "0.05"],  # the default before it was chosen on validation data
    "smoothing_on": ["--smooth"],
    "isolated_edema_kept": ["--keep-isolated-edema"],
    "fast": ["--fast"],
}


def ichseg(*arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "ichseg", *arguments], check=True)


def read_metrics(metrics_csv: Path) -> dict[str, list[dict]]:
    """The rows of ``ichseg evaluate``'s metrics.csv, grouped by region."""
    rows: dict[str, list[dict]] = {}
    with open(metrics_csv, newline="") as stream:
        for row in csv.DictReader(stream):
            rows.setdefault(row["region"], []).append(row)
    return rows


def mean_metric(rows: list[dict], column: str = "dice") -> tuple[float, int]:
    values = [float(r[column]) for r in rows if r[column] not in ("", "nan")]
    return (float(np.mean(values)) if values else float("nan")), len(values)


def type_detail(rows: list[dict], region: str) -> dict:
    """Dice over the cases whose reference has ``region``, and how many cases without it got it
    (the mean above mixes both: a case given a type it does not have scores 0 there)."""
    present = [float(r["dice"]) for r in rows if float(r["ref_volume_ml"]) > 0]
    wrongly_given = sum(float(r["ref_volume_ml"]) == 0 and float(r["pred_volume_ml"]) > 0 for r in rows)
    return {f"dice_{region}_where_present": round(float(np.mean(present)), 4) if present else None,
            f"n_{region}_present": len(present), f"n_{region}_wrongly_given": int(wrongly_given)}


def write_inputs(dataset: Path, work: Path) -> int:
    """``work/inputs.csv`` listing the test images; returns how many.

    Raises:
        InputError: ``dataset`` is not a labelled dataset folder (the benchmark needs its labels).
    """
    cases = list_dataset_cases(dataset)
    work.mkdir(parents=True, exist_ok=True)
    (work / "inputs.csv").write_text("case,path\n" + "".join(f"{c.case},{c.image.resolve()}\n" for c in cases))
    return len(cases)


def evaluate_variant(model: str, dataset: Path, work: Path, variant: str, options: list[str]) -> dict:
    """Predict ``work/inputs.csv`` with ``model`` and ``options``, evaluate against the dataset's
    labels; returns the summary (writes ``work/pred_VARIANT`` and ``work/eval_VARIANT``)."""
    predictions, evaluation = work / f"pred_{variant}", work / f"eval_{variant}"
    shutil.rmtree(predictions, ignore_errors=True)
    ichseg("predict", "-i", str(work / "inputs.csv"), "-o", str(predictions), "--model", model, *options)
    # both-empty cases are left out: per-type Dice is averaged over cases that have that type
    ichseg("evaluate", str(predictions), str(dataset / "labelsTr"), "-o", str(evaluation), "--both-empty", "exclude")
    summary = {}
    by_region = read_metrics(evaluation / "metrics.csv")
    for region in ("any", "IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "extra-axial"):
        mean, n = mean_metric(by_region.get(region, []))
        summary[f"dice_{region}"] = round(mean, 4)
        summary[f"n_{region}"] = n
        if region != "any":
            summary.update(type_detail(by_region.get(region, []), region))
    rows = by_region["any"]
    # the "any" rows keep every case: Dice(any), false blood on normals and volume agreement as everywhere
    # (evaluate ran with --both-empty exclude; the headline counts a clean normal head as 1, nothing missed)
    dice_any = [1.0 if r["dice"] in ("", "nan") and float(r["ref_volume_ml"]) == float(r["pred_volume_ml"]) == 0
                else float(r["dice"]) for r in rows]
    summary.update(headline_summary(dice_any,
                                    pred_ml=[float(r["pred_volume_ml"]) for r in rows],
                                    ref_ml=[float(r["ref_volume_ml"]) for r in rows]))
    run = json.loads((predictions / "run.json").read_text())
    summary["seconds_per_case"] = round(np.mean([c["seconds"] for c in run["cases"]]), 2)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--model", default="default")
    parser.add_argument("--work", default="accuracy_work")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--output", default=str(RESULTS), help="JSON file for the results")
    args = parser.parse_args()
    work, dataset, output = Path(args.work), Path(args.dataset), Path(args.output)
    try:
        n_cases = write_inputs(dataset, work)
    except InputError as error:
        sys.exit(f"accuracy_bench: {error}")
    results = {"dataset": str(dataset), "n_cases": n_cases, "model": args.model, "variants": {}}
    output.parent.mkdir(parents=True, exist_ok=True)
    for variant in args.variants.split(","):
        summary = evaluate_variant(args.model, dataset, work, variant, VARIANTS[variant])
        results["variants"][variant] = summary
        print(variant, json.dumps(summary))
        output.write_text(json.dumps(results, indent=2) + "\n")  # after each variant: partial runs keep theirs
    tables = [str(work / f"eval_{variant}" / "metrics.csv") for variant in args.variants.split(",")]
    ichseg("compare", *tables, "-o", str(work / "compare"), "--names", args.variants, "--regions", "any")
    results["compare_folder"] = str(work / "compare")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
