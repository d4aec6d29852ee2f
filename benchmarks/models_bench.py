"""CPU forward time of every registered model: one 3x160x160x16 patch (3D models) and
one 3x512x512 slice (2D models), eval mode, no gradients, all cores, 7 output classes.

An input is zero-padded up to the model's size multiple where needed (the padded shape
is reported). Writes ``benchmarks/results/models_bench.json``.

Usage: ``python benchmarks/models_bench.py [--repeats 3] [--models a,b]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from pathlib import Path

import torch

from ichseg.labels import LABELS
from ichseg.models import MODELS, build_model, count_parameters, size_multiple

RESULTS = Path(__file__).parent / "results" / "models_bench.json"
INPUTS = {3: (160, 160, 16), 2: (512, 512)}


def padded(shape, multiple):
    return tuple(int(math.ceil(s / m) * m) for s, m in zip(shape, multiple))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", help="comma-separated subset")
    args = parser.parse_args()
    torch.manual_seed(0)
    wanted = args.models.split(",") if args.models else MODELS.names()
    rows = []
    for name in wanted:
        for dims in MODELS.entry(name).metadata["dims"]:
            shape = padded(INPUTS[dims], size_multiple(name, dims))
            config = {"img_size": shape} if name == "unetr" else {}
            network = build_model(name, dims, 3, len(LABELS), **config).eval()
            x = torch.randn(1, 3, *shape)
            with torch.inference_mode():
                network(x)  # warm-up
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    network(x)
                    times.append(time.perf_counter() - start)
            rows.append({"model": name, "spatial_dims": dims, "input": list(shape),
                         "parameters_m": round(count_parameters(network) / 1e6, 2),
                         "forward_s_median": round(statistics.median(times), 3)})
            print(f"{name:15s} {dims}D input {'x'.join(map(str, shape)):12s} {rows[-1]['parameters_m']:7.2f}M "
                  f"{rows[-1]['forward_s_median']:7.3f} s")
    result = {"benchmark": "models_bench", "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "repeats": args.repeats, "torch": torch.__version__, "rows": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
