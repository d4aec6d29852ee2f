"""End-to-end ``ichseg predict`` on the shipped real GE head CT (DICOM folder): wall time
and peak resident memory of the whole command (Python start-up, imports, reading,
inference, writing every output), and the blood it finds on this normal scan.

Also: where each second goes (``benchmarks/predict_phases.py`` in a fresh process: imports,
model load, read, network alone, the rest of the predictor, outputs), the network alone on
ONNX Runtime against torch in float32 and bfloat16, the start-up share
(everything before the first case begins), the network's FLOP count against this
machine's measured float32 matmul rate (a lower bound for the network's time), how
the time grows with slices (the same head resampled to 0.6 mm: ~250 slices), and a scan with
blood (the demo head), where ``--fast``'s nearest label mapping has work to save.

Targets (issue #24): <= 2.5 s and <= 1.0 GB on 2 quiet CPU cores; total predicted blood <= 0.5 mL.
Writes ``benchmarks/results/predict_bench.json``.

Usage: ``python benchmarks/predict_bench.py [--repeats 3] [--model default]``
"""

from __future__ import annotations

import argparse
import csv
import functools
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


def run_once(arguments: list[str], source: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "ichseg", "predict", "-i", str(source or example_path("ge_head_ct")),
                   "-o", folder, *arguments]
        started = time.perf_counter()
        # a fresh process per run so that its peak RSS is its own (RUSAGE_CHILDREN keeps the max of children)
        result = subprocess.run([sys.executable, "-c", (
            "import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:]);"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(json.dumps({'rc': r.returncode, 'rss_kb': u.ru_maxrss, 'cpu_s': u.ru_utime + u.ru_stime}))"
        ), *command], capture_output=True, text=True)
        wall = time.perf_counter() - started
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        if measured["rc"] != 0:
            raise RuntimeError(result.stderr[-2000:])
        with open(Path(folder) / "summary.csv", newline="") as stream:
            row = next(csv.DictReader(stream))
        case_seconds = json.loads((Path(folder) / "run.json").read_text())["cases"][0]["seconds"]
    return {"wall_s": round(wall, 2), "cpu_s": round(measured["cpu_s"], 2), "case_s": case_seconds,
            "peak_rss_gb": round(measured["rss_kb"] / 1e6, 3),
            "any_hemorrhage_ml": float(row["any_hemorrhage_ml"]),
            "per_class_ml": {k[:-3]: float(v) for k, v in row.items() if k.endswith("_ml") and k != "any_hemorrhage_ml"}}


def phases() -> dict:
    result = subprocess.run([sys.executable, str(Path(__file__).parent / "predict_phases.py"),
                             str(example_path("ge_head_ct"))], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul rate with torch's threads (the best of ``repeats``)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def network_gflop(model_slices: int, window: list[int]) -> float:
    """FLOPs of the bundled network on ``model_slices`` slices of ``window`` (torch's counter)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ichseg.infer.bundle import load_bundle

    bundle = load_bundle("default")
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        bundle.network(torch.zeros(1, bundle.spec.in_channels, *window))
    return counter.get_total_flops() * model_slices / 1e9


def network_backends(repeats: int = 3) -> dict:
    """Seconds (best of ``repeats``) of the bundled network alone on the GE head's prepared
    slices: the ONNX graph on ONNX Runtime (what CPU runs use), the torch network in
    float32, and in bfloat16 autocast (AMX/AVX-512 BF16 where the CPU has them)."""
    import numpy as np
    import torch

    from ichseg.infer.bundle import load_bundle
    from ichseg.infer.predictor import BATCH_SIZE, Predictor
    from ichseg.infer.sliding_window import slices_with_context, whole_slice_logits
    from ichseg.io import read_volume
    from ichseg.preprocess.model_input import prepare_model_input

    graph, module = load_bundle("default", onnx=True), load_bundle("default")
    spec = module.spec
    prepared = prepare_model_input(read_volume(example_path("ge_head_ct")), spec.spacing, spec.normalization,
                                   keep_thicker_slices=True)
    window, _ = Predictor._window(spec, prepared.channels.shape[1:])
    slices = slices_with_context(prepared.channels, spec.context_slices)
    cval = float(prepared.channels.min())

    def run(network, autocast: bool = False) -> np.ndarray:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return whole_slice_logits(network, slices, window, batch_size=BATCH_SIZE["cpu"], cval=cval)

    results, logits = {}, {}
    for name, network, autocast in (("onnxruntime_fp32", graph.network, False),
                                    ("torch_fp32", module.network, False), ("torch_bf16", module.network, True)):
        logits[name] = run(network, autocast)  # the first call sets up kernels and memory
        results[name] = round(min(_timed(functools.partial(run, network, autocast)) for _ in range(repeats)), 3)
    reference = logits["torch_fp32"].argmax(1)
    for name in ("onnxruntime_fp32", "torch_bf16"):
        results[f"{name}_same_argmax_share"] = float((logits[name].argmax(1) == reference).mean())
    return results


def thin_copy(folder: Path) -> tuple[Path, int]:
    """The GE head resampled to 0.6 mm slices (linear), as a thin reconstruction would be sized."""
    import numpy as np

    from ichseg.io import read_volume, write_nifti
    from ichseg.preprocess import resample_to_grid

    volume = read_volume(example_path("ge_head_ct"))
    n_slices = int(round((volume.shape[2] - 1) * volume.spacing[2] / 0.6)) + 1
    affine = volume.affine.copy()
    affine[:3, 2] *= 0.6 / volume.spacing[2]
    thin = resample_to_grid(volume, (*volume.shape[:2], n_slices), affine, order=1, cval=-1024.0)
    path = folder / "ge_head_ct_0.6mm.nii.gz"
    write_nifti(thin.with_array(np.round(thin.array).astype(np.int16)), path, dtype="int16")
    return path, n_slices


def slab_copies(folder: Path, counts: tuple[int, ...] = (9, 18, 27, 37)) -> dict[int, Path]:
    """The first ``n`` slices of the GE head as read (37 slices of 4 mm) as NIfTI, for the
    time's growth with slices."""
    from ichseg.io import Volume, read_volume, write_nifti

    volume = read_volume(example_path("ge_head_ct"))
    paths = {}
    for n in counts:
        paths[n] = folder / f"ge_head_ct_{n}_slices.nii.gz"
        write_nifti(Volume(volume.array[..., :n].copy(), volume.affine), paths[n])
    return paths


def growth_per_slice(folder: Path, repeats: int, model: str) -> dict:
    """Median process wall, process CPU and case seconds for slabs of the GE head, and the
    least-squares lines of wall and CPU seconds: fixed seconds and seconds per input slice."""
    import numpy as np

    points = []
    for n, path in slab_copies(folder).items():
        runs = [run_once(["--model", model], source=path) for _ in range(repeats)]
        points.append({"input_slices": n, "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                       "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
                       "median_case_s": statistics.median(r["case_s"] for r in runs)})
    slices = np.array([p["input_slices"] for p in points], float)
    fits = {key: np.polyfit(slices, [p[f"median_{key}"] for p in points], 1) for key in ("wall_s", "cpu_s")}
    return {"slabs": points, **{f"{key}_per_slice": round(float(fit[0]), 4) for key, fit in fits.items()},
            **{f"{key}_fixed": round(float(fit[1]), 3) for key, fit in fits.items()},
            "note": "input slices of 4 mm; the model sees 5 mm slices (0.8 model slices per input slice)"}


def demo_copy(folder: Path) -> Path:
    """The demo head (the GE head with generated blood, ~90 mL over five types) as NIfTI:
    a scan on which the label mapping, post-processing and measurements have work to do."""
    from ichseg.demo import demo_case
    from ichseg.io import write_nifti

    path = folder / "demo_head.nii.gz"
    write_nifti(demo_case().image, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    results = {"input": "src/ichseg/resources/ge_head_ct (GE HiSpeed Dual, 28 slices, 18.5 deg tilt)",
               "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "modes": {}}
    profile = phases()
    results["phases"] = profile
    first_case = sum(v["s"] for k, v in profile["phases"].items()
                     if k.startswith(("import", "load model")))
    results["start_up_s_before_first_case"] = round(first_case, 2)
    gflop, rate = network_gflop(profile["model_slices"], profile["window"]), matmul_gflops()
    network_s = profile["phases"]["network alone"]["s"]
    results["network"] = {"gflop": round(gflop, 1), "matmul_gflop_per_s": round(rate, 1),
                          "lower_bound_s": round(gflop / rate, 2), "measured_s": network_s,
                          "achieved_gflop_per_s": round(gflop / network_s, 1)}
    print("phases", json.dumps({k: v["s"] for k, v in profile["phases"].items()}))
    results["network_backends_s"] = network_backends()
    print("network", json.dumps(results["network"]), json.dumps(results["network_backends_s"]))
    with tempfile.TemporaryDirectory() as folder:
        thin, n_slices = thin_copy(Path(folder))
        runs = [run_once(["--model", args.model], source=thin) for _ in range(args.repeats)]
        results["thin_0.6mm"] = {"slices": n_slices,
                                 "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                                 "max_peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
                                 "any_hemorrhage_ml": runs[0]["any_hemorrhage_ml"], "runs": runs}
    print("thin", json.dumps({k: v for k, v in results["thin_0.6mm"].items() if k != "runs"}))
    for mode, arguments in (("default", []), ("fast", ["--fast"]), ("tta", ["--tta"])):
        runs = [run_once(["--model", args.model, *arguments]) for _ in range(args.repeats)]
        results["modes"][mode] = {
            "median_wall_s": statistics.median(r["wall_s"] for r in runs),
            "median_case_s": statistics.median(r["case_s"] for r in runs),
            "max_peak_rss_gb": max(r["peak_rss_gb"] for r in runs), "any_hemorrhage_ml": runs[0]["any_hemorrhage_ml"],
            "per_class_ml": runs[0]["per_class_ml"], "runs": runs,
        }
        print(mode, json.dumps({k: v for k, v in results["modes"][mode].items() if k != "runs"}))
    with tempfile.TemporaryDirectory() as folder:
        demo = demo_copy(Path(folder))
        results["with_blood"] = {}
        for mode, arguments in (("default", []), ("fast", ["--fast"])):
            runs = [run_once(["--model", args.model, *arguments], source=demo) for _ in range(args.repeats)]
            results["with_blood"][mode] = {
                "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                "median_case_s": statistics.median(r["case_s"] for r in runs),
                "max_peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
                "any_hemorrhage_ml": runs[0]["any_hemorrhage_ml"], "runs": runs}
            print("with blood", mode, json.dumps({k: v for k, v in results["with_blood"][mode].items() if k != "runs"}))
    with tempfile.TemporaryDirectory() as folder:
        results["growth"] = growth_per_slice(Path(folder), args.repeats, args.model)
    print("growth", json.dumps(results["growth"]))
    results["thin_over_default_wall"] = round(results["thin_0.6mm"]["median_wall_s"]
                                              / results["modes"]["default"]["median_wall_s"], 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
