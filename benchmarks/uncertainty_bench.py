"""Coverage of ``predict --uncertainty``'s volume intervals on held-out labelled cases
(issue #20): the share of cases whose true volume lies inside the interval, per type and
for any hemorrhage, over all cases and over the cases that have the type; the median
interval width; the uncertain volume against the absolute error (Spearman).

The held-out set must differ from the calibration set (``release/calibrate_uncertainty.py``)
and from training, e.g. ``ichseg synth -o synth_s14 -n 40 --seed 14 --base
src/ichseg/resources/ge_head_ct --base-fraction 0.35 --negatives 0.15 --shape-bank
../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 1/2``.
Writes ``benchmarks/results/uncertainty_bench.json``.

Usage: ``python benchmarks/uncertainty_bench.py TEST_DATASET [--model default]``
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from scipy import stats

from ichseg.infer.predictor import load_predictor
from ichseg.infer.volume_records import volume_records
from ichseg.labels import LABELS

RESULTS = Path(__file__).parent / "results" / "uncertainty_bench.json"


def coverage(rows: list[dict]) -> float | None:
    inside = [r["interval_ml"][0] <= r["true_ml"] <= r["interval_ml"][1] for r in rows if r["interval_ml"]]
    return round(sum(inside) / len(inside), 3) if inside else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    predictor = load_predictor((args.model,), device="cpu", tta=True)
    calibration, reason = predictor.volume_calibration()
    if calibration is None:
        raise SystemExit(f"uncertainty_bench: {reason}")
    records = volume_records(args.dataset, predictor, progress=print)
    summary: dict = {"cases": len(records), "target_coverage": round(1 - calibration.alpha, 3),
                     "calibration": calibration.source, "types": {}}
    for name in [n for v, n in LABELS.items() if v] + ["any"]:
        rows = [r[name] for r in records]
        present = [r for r in rows if r["true_ml"] > 0]
        errors = [abs(r["predicted_ml"] - r["true_ml"]) for r in rows]
        rho = stats.spearmanr([r["uncertain_ml"] for r in rows], errors).statistic if len(set(errors)) > 1 else None
        summary["types"][name] = {
            "coverage_all": coverage(rows), "coverage_present": coverage(present), "n_present": len(present),
            "median_width_ml": round(statistics.median(r["interval_ml"][1] - r["interval_ml"][0] for r in rows), 2),
            "median_width_present_ml": round(statistics.median(
                r["interval_ml"][1] - r["interval_ml"][0] for r in present), 2) if present else None,
            "spearman_uncertain_vs_abs_error": None if rho is None else round(float(rho), 3),
        }
    print(json.dumps(summary, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "cases": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
