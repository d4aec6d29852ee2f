"""A cohort through ``ichseg predict`` three ways (issue #20): serially, with
``--workers 2`` (threads in one process) and on a 2-worker local Dask cluster
(``--dask-workers 2``): wall time, peak resident memory per process (per worker for Dask)
and the report's size per case. The three runs must give the same labels.

Usage: ``python benchmarks/cohort_bench.py INPUT_FOLDER [--cases 40]`` (e.g. a synthetic
dataset's ``imagesTr``); writes ``benchmarks/results/cohort_bench.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib

RESULTS = Path(__file__).parent / "results" / "cohort_bench.json"


def _labels_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*/segmentation.nii.gz")):
        digest.update(path.parent.name.encode())
        digest.update(nib.load(path).get_fdata().astype("uint8").tobytes())
    return digest.hexdigest()


def run(inputs: Path, output: Path, options: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "ichseg", "predict", "-i", str(inputs), "-o", str(output),
                             "--device", "cpu", *options], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"cohort_bench: predict {options} failed:\n{result.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    record = json.loads((output / "run.json").read_text())
    report = output / "report.html"
    n_cases = len(record["cases"])
    return {"options": options, "wall_s": round(seconds, 1), "cases": n_cases,
            "seconds_per_case": round(seconds / n_cases, 2),
            # RUSAGE_CHILDREN keeps the largest child so far: a new maximum only when this run's is larger
            "peak_rss_mb_main_process": round(peak / 1024, 1) if peak > before else f"<= {round(before / 1024, 1)}",
            "dask_worker_peak_rss_mb": record.get("dask", {}).get("worker_peak_rss_mb"),
            "report_mb": round(report.stat().st_size / 1e6, 2),
            "report_kb_per_case": round(report.stat().st_size / 1e3 / n_cases, 1),
            "labels_sha256": _labels_digest(output)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs")
    parser.add_argument("--cases", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        inputs = Path(work) / "inputs"
        inputs.mkdir()
        for path in sorted(Path(args.inputs).iterdir())[:args.cases]:
            shutil.copy(path, inputs / path.name)
        runs = []
        for name, options in (("serial", []), ("threads_2", ["--workers", "2"]), ("dask_2", ["--dask-workers", "2"])):
            runs.append({"run": name, **run(inputs, Path(work) / name, options)})
            print(json.dumps(runs[-1]), flush=True)
    summary = {"same_labels": len({r["labels_sha256"] for r in runs}) == 1, "runs": runs}
    print(json.dumps({"same_labels": summary["same_labels"]}))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
