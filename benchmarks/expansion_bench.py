"""Hematoma-expansion accuracy on synthetic baseline / follow-up pairs (issue #20).

Each pair (``ichseg.data.synth.pairs.expansion_pair``): a synthetic head with an IPH of at
least 2 mL, 0.9 mm pixels, 5 mm slices; the follow-up is the same head with the IPH grown
by 0-20 mL and moved (rotation up to 15 degrees about the vertical axis and up to 5
degrees about the other two, shift up to 20 mm), both acquired from thin slices.
``measure_expansion`` with the bundled model segments both, registers and measures; the
truth is the reference labels of both scans.

Reports the mean absolute error of the IPH growth (mL), the share of pairs within 1 mL or
10 % of the true growth (also for the measured growth of all hemorrhage together, which a
type confusion -- part of a clot labelled EDH or IVH -- does not change; only the IPH grows
in these pairs, so its truth is the same), the expansion-flag agreement (6 mL / 33 % rule),
the registration error (rotation, translation of the head centre) and seconds per pair.
Writes ``benchmarks/results/expansion_bench.json``.

Usage: ``python benchmarks/expansion_bench.py [--pairs 20] [--seed 0]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ichseg.data.synth.pairs import ExpansionPair, expansion_pair
from ichseg.expansion import measure_expansion, volume_change
from ichseg.infer.predictor import load_predictor
from ichseg.labels import IPH

RESULTS = Path(__file__).parent / "results" / "expansion_bench.json"


def make_pair(seed: int, rng: np.random.Generator) -> tuple[ExpansionPair, tuple, tuple]:
    """A pair whose baseline holds at least 2 mL of IPH (seeds are tried upwards)."""
    growth = float(rng.uniform(0.0, 20.0))
    rotation = (float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5)), float(rng.uniform(-15, 15)))
    shift = tuple(float(v) for v in rng.uniform(-1, 1, 3) * 20.0 / np.sqrt(3))
    while True:
        pair = expansion_pair(seed, growth_ml=growth, rotation_deg=rotation, shift_mm=shift)
        if (pair.baseline_labels.array == IPH).sum() * pair.baseline.voxel_volume_ml >= 2.0:
            return pair, rotation, shift
        seed += 1000


def truth_volumes(labels) -> dict:
    return {"IPH": {"volume_ml": float((labels.array == IPH).sum() * labels.voxel_volume_ml)},
            "IVH": {"volume_ml": float((labels.array == 2).sum() * labels.voxel_volume_ml)}}


def within(error_ml: float, true_ml: float) -> bool:
    return abs(error_ml) <= max(1.0, 0.1 * abs(true_ml))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    predictor = load_predictor(("default",), device="cpu")
    rows = []
    for n in range(args.pairs):
        pair, rotation, shift = make_pair(args.seed * 1000 + n, rng)
        matrix, offset = pair.matrix, pair.offset
        truth = volume_change(truth_volumes(pair.baseline_labels), truth_volumes(pair.followup_labels))
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            record = measure_expansion(pair.baseline, pair.followup, folder, predictor)
        seconds = time.perf_counter() - started
        found = record["registration"]
        rotation_error = np.degrees(np.arccos(np.clip(
            (np.trace(np.array(found["matrix"]).T @ matrix) - 1) / 2, -1, 1)))
        head = np.argwhere(pair.baseline.array > -300).mean(axis=0)
        centre = (pair.baseline.affine @ np.array([*head, 1.0]))[:3]
        moved_true = matrix @ centre + offset
        moved_found = np.array(found["matrix"]) @ centre + np.array(found["offset_mm"])
        row = {
            "pair": n, "true_baseline_ml": truth["IPH"]["baseline_ml"], "true_growth_ml": truth["IPH"]["change_ml"],
            "measured_baseline_ml": record["change"]["IPH"]["baseline_ml"],
            "measured_growth_ml": record["change"]["IPH"]["change_ml"],
            "true_expansion": truth["iph_expansion"], "measured_expansion": record["change"]["iph_expansion"],
            "measured_new_ivh": record["change"]["new_ivh"],
            "rotation_deg": [round(r, 2) for r in rotation], "shift_mm": [round(s, 2) for s in shift],
            "rotation_error_deg": round(float(rotation_error), 3),
            "translation_error_mm": round(float(np.linalg.norm(moved_true - moved_found)), 3),
            "head_overlap_dice": found["head_overlap_dice"], "seconds": round(seconds, 1),
        }
        row["growth_error_ml"] = round(row["measured_growth_ml"] - row["true_growth_ml"], 3)
        row["within_1ml_or_10pct"] = within(row["growth_error_ml"], row["true_growth_ml"])
        row["measured_any_growth_ml"] = record["change"]["any_hemorrhage_change_ml"]
        row["any_growth_error_ml"] = round(row["measured_any_growth_ml"] - row["true_growth_ml"], 3)
        row["any_within_1ml_or_10pct"] = within(row["any_growth_error_ml"], row["true_growth_ml"])
        rows.append(row)
        print(f"pair {n:2d}: growth true {row['true_growth_ml']:6.2f} measured {row['measured_growth_ml']:6.2f} mL "
              f"(error {row['growth_error_ml']:+.2f}; all hemorrhage {row['any_growth_error_ml']:+.2f}); "
              f"registration {row['rotation_error_deg']:.2f} deg "
              f"{row['translation_error_mm']:.2f} mm; {seconds:.0f} s", flush=True)
    errors = [abs(r["growth_error_ml"]) for r in rows]
    summary = {
        "pairs": len(rows),
        "growth_mae_ml": round(statistics.mean(errors), 3),
        "growth_median_abs_error_ml": round(statistics.median(errors), 3),
        "within_1ml_or_10pct": sum(r["within_1ml_or_10pct"] for r in rows),
        "any_growth_mae_ml": round(statistics.mean(abs(r["any_growth_error_ml"]) for r in rows), 3),
        "any_within_1ml_or_10pct": sum(r["any_within_1ml_or_10pct"] for r in rows),
        "expansion_flag_agreement": sum(r["true_expansion"] == r["measured_expansion"] for r in rows),
        "false_new_ivh": sum(r["measured_new_ivh"] for r in rows),
        "rotation_error_deg_max": max(r["rotation_error_deg"] for r in rows),
        "translation_error_mm_max": max(r["translation_error_mm"] for r in rows),
        "seconds_per_pair_median": statistics.median(r["seconds"] for r in rows),
    }
    print(json.dumps(summary, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "pairs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
