"""The bad-input corpus run as a user runs it: every kind through ``ichseg info`` in its own
process, all of them in one ``ichseg predict`` batch (with unsafe case names and a good
case), and a crafted model bundle whose program carries a pickle payload.

Counts what must be zero: tracebacks, refusals whose one line does not name the file,
warning kinds that were not warned about, inputs modified, good cases that failed, files
written outside ``-o``, code executed. Writes ``benchmarks/results/bad_input_bench.json``.

Usage: ``python benchmarks/bad_input_bench.py [--model BUNDLE]`` (default: the bundled model)
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bad_inputs"))
from bad_input_corpus import build_reader_corpus, snapshot

from ichseg.infer.bundle import bundled_model_path, sha256_of

RESULTS = Path(__file__).parent / "results" / "bad_input_bench.json"
ICHSEG = [sys.executable, "-m", "ichseg"]


class Payload:
    """Unpickling this writes a marker file: proof that a loader ran the bundle's code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def crafted_bundle(folder: Path, marker: Path) -> Path:
    shutil.copytree(bundled_model_path(), folder)
    (folder / "model.ts").write_bytes(pickle.dumps(Payload(marker)))  # the program file of older bundles
    description = json.loads((folder / "bundle.json").read_text())
    description["program_sha256"] = sha256_of(folder / "model.ts")  # the author writes the checksum as well
    (folder / "bundle.json").write_text(json.dumps(description))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bad_inputs_"))
    kinds = build_reader_corpus(root / "inputs")
    before = snapshot(root / "inputs")
    counts = {"kinds": len(kinds), "tracebacks": 0, "unclear_messages": 0, "missing_warnings": 0,
              "inputs_modified": 0, "good_case_failures": 0, "writes_outside_output": 0, "code_executed": 0}
    problems = []
    started = time.perf_counter()
    for k, kind in enumerate(kinds, start=1):
        result = subprocess.run([*ICHSEG, "info", str(kind.path), "--json"], capture_output=True, text=True)
        text = result.stdout + result.stderr
        counts["tracebacks"] += "Traceback" in text
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        if kind.problem:
            clear = (result.returncode == 1 and len(lines) == 1 and str(kind.path.parent) in lines[0]
                     and re.search(kind.problem, lines[0]))
            counts["unclear_messages"] += not clear
            if not clear:
                problems.append({"kind": kind.name, "stderr": result.stderr[-300:]})
        else:
            warned = result.returncode == 0 and any(re.search(kind.warning, w)
                                                    for w in json.loads(result.stdout)["warnings"])
            counts["missing_warnings"] += not warned
        print(f"[{k}/{len(kinds)}] info {kind.name}: rc {result.returncode}", flush=True)

    listing = root / "batch.csv"
    good = root / "inputs" / "head_good.nii.gz"
    with open(listing, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "case"])
        writer.writerows([str(kind.path), f"kind_{k:02d}"] for k, kind in enumerate(kinds))
        writer.writerows([[str(good), "good_head"], [str(good), "../escaped"], [str(good), str(root / "abs")]])
    around = sorted(p.name for p in root.iterdir())
    marker = root / "marker.txt"
    bundle = crafted_bundle(root / "crafted_bundle", marker)
    around.append("crafted_bundle")
    batch = subprocess.run([*ICHSEG, "predict", "-i", str(listing), "-o", str(root / "out"), "--model", args.model],
                           capture_output=True, text=True)
    print(f"predict batch: rc {batch.returncode}", flush=True)
    counts["tracebacks"] += "Traceback" in batch.stdout + batch.stderr
    table = {row["case"]: row for row in csv.DictReader((root / "out" / "summary.csv").read_text().splitlines())}
    counts["good_case_failures"] += table["good_head"]["status"] != "ok"
    crafted = subprocess.run([*ICHSEG, "predict", "-i", str(good), "-o", str(root / "out_crafted"), "--model",
                              str(bundle), "--device", "cpu"], capture_output=True, text=True)
    print(f"predict with the crafted bundle: rc {crafted.returncode}", flush=True)
    counts["tracebacks"] += "Traceback" in crafted.stdout + crafted.stderr
    counts["code_executed"] += marker.exists()
    counts["inputs_modified"] = sum(before.get(path) != data for path, data in snapshot(root / "inputs").items())
    counts["inputs_modified"] += len(set(before) ^ set(snapshot(root / "inputs")))
    outside = {p.name for p in root.iterdir()} - set(around) - {"out", "out_crafted"}
    counts["writes_outside_output"] = len(outside) + (root / "escaped").exists() + (root / "abs").exists()
    result = {"counts": counts, "predict_batch_exit_status": batch.returncode,
              "batch_rows": len(table), "batch_errors": sum(row["status"] == "error" for row in table.values()),
              "crafted_bundle_exit_status": crafted.returncode,
              "crafted_bundle_onnx_runtime": json.loads((root / "out_crafted" / "run.json").read_text())
              ["models"][0]["onnx_runtime"] if crafted.returncode == 0 else None,
              "unclear": problems, "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
