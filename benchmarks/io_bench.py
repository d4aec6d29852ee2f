"""Time to read the shipped GE head CT (28 tilted DICOM slices, uneven gaps) into HU.

Reports the median of several in-process reads (imports excluded), split into header
scan and full series read, plus one cold run in a fresh interpreter (imports included).
Writes ``benchmarks/results/io_bench.json``.

Usage: ``python benchmarks/io_bench.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from ichseg import __version__
from ichseg.io import read_volume
from ichseg.io.dicom_files import scan_folder
from ichseg.resources import example_path

RESULTS = Path(__file__).parent / "results" / "io_bench.json"


def timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    folder = example_path("ge_head_ct")
    read_volume(folder)  # warm the file cache
    scan = timed(lambda: scan_folder(folder), args.repeats)
    full = timed(lambda: read_volume(folder), args.repeats)
    cold_start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"from ichseg.io import read_volume; read_volume({str(folder)!r})"], check=True)
    cold = time.perf_counter() - cold_start
    volume = read_volume(folder)
    result = {
        "benchmark": "io_bench",
        "input": "ge_head_ct (28 DICOM slices 512x512, +18.5 deg tilt, uneven gaps)",
        "output_shape": list(volume.shape),
        "header_scan_s_median": round(statistics.median(scan), 4),
        "read_volume_s_median": round(statistics.median(full), 4),
        "read_volume_s_min": round(min(full), 4),
        "cold_process_with_imports_s": round(cold, 3),
        "target_s": 1.0,
        "meets_target": statistics.median(full) <= 1.0,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "ichseg": __version__,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
