"""End-to-end ``ichseg predict`` on the shipped real GE head CT (DICOM folder): wall time
and peak resident memory of the whole command (Python start-up, imports, reading,
inference, writing every output), and the blood it finds on this normal scan.

Targets: <= 15 s and <= 2.5 GB on 2 CPU cores; total predicted blood <= 0.5 mL.
Writes ``benchmarks/results/predict_bench.json``.

Usage: ``python benchmarks/predict_bench.py [--repeats 3] [--model default]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ichseg.resources import example_path

RESULTS = Path(__file__).parent / "results" / "predict_bench.json"


def run_once(arguments: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "ichseg", "predict", "-i", str(example_path("ge_head_ct")), "-o", folder,
                   *arguments]
        started = time.perf_counter()
        # a fresh process per run so that its peak RSS is its own (RUSAGE_CHILDREN keeps the max of children)
        result = subprocess.run([sys.executable, "-c", (
            "import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:]);"
            "print(json.dumps({'rc': r.returncode, 'rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
        ), *command], capture_output=True, text=True)
        wall = time.perf_counter() - started
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        if measured["rc"] != 0:
            raise RuntimeError(result.stderr[-2000:])
        with open(Path(folder) / "summary.csv", newline="") as stream:
            row = next(csv.DictReader(stream))
        case_seconds = json.loads((Path(folder) / "run.json").read_text())["cases"][0]["seconds"]
    return {"wall_s": round(wall, 2), "case_s": case_seconds, "peak_rss_gb": round(measured["rss_kb"] / 1e6, 3),
            "any_hemorrhage_ml": float(row["any_hemorrhage_ml"]),
            "per_class_ml": {k[:-3]: float(v) for k, v in row.items() if k.endswith("_ml") and k != "any_hemorrhage_ml"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    results = {"input": "src/ichseg/resources/ge_head_ct (GE HiSpeed Dual, 28 slices, 18.5 deg tilt)",
               "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "modes": {}}
    for mode, arguments in (("default", []), ("fast", ["--fast"]), ("tta", ["--tta"])):
        runs = [run_once(["--model", args.model, *arguments]) for _ in range(args.repeats)]
        results["modes"][mode] = {
            "median_wall_s": statistics.median(r["wall_s"] for r in runs),
            "median_case_s": statistics.median(r["case_s"] for r in runs),
            "max_peak_rss_gb": max(r["peak_rss_gb"] for r in runs), "any_hemorrhage_ml": runs[0]["any_hemorrhage_ml"],
            "per_class_ml": runs[0]["per_class_ml"], "runs": runs,
        }
        print(mode, json.dumps({k: v for k, v in results["modes"][mode].items() if k != "runs"}))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
