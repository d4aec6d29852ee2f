"""Time to generate one ~512x512x32 synthetic case on one core (target <= 3 s).

Pixel 0.43 mm gives 512x512 in-plane; 4.5 mm slices give about 32 slices for the
procedural head sizes. Writes ``benchmarks/results/synth_bench.json``.

Usage: ``python benchmarks/synth_bench.py [--cases 6]``
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from ichseg.data.synth import SynthConfig, generate_case  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "synth_bench.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6)
    args = parser.parse_args()
    config = SynthConfig(pixel_mm=0.43, slice_mm=4.5, negative_fraction=0.0)
    generate_case(0, config)  # warm-up (imports, allocator)
    rows = []
    for seed in range(1, args.cases + 1):
        start = time.perf_counter()
        case = generate_case(seed, config)
        elapsed = time.perf_counter() - start
        rows.append({"seed": seed, "shape": list(case.image.shape), "seconds": round(elapsed, 3),
                     "types": [lesion["type"] for lesion in case.lesions]})
        print(f"seed {seed}: {case.image.shape} {elapsed:.2f} s {rows[-1]['types']}")
    times = [r["seconds"] for r in rows]
    result = {"benchmark": "synth_bench", "cores": 1, "target_s": 3.0, "median_s": round(statistics.median(times), 3),
              "max_s": max(times), "meets_target": max(times) <= 3.0, "cases": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "cases"}, indent=2))


if __name__ == "__main__":
    main()
