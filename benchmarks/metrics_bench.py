"""HD95 + NSD speed on real-size hemorrhage label pairs, ichseg against MONAI, one core.

Pairs: real HemSeg-200 label volumes (512x512xN, real spacing) read from
``../shared/data/hemseg-labels/IPH_IVH_label.zip`` when present (never copied into the
repository), each against a perturbed copy as a model would miss it: shifted 1-2
pixels, dilated or eroded by one pixel in-plane, one slice added or dropped at the
lesion's end, and a small false-positive blob. A second, harsher perturbation (3D
dilation by two voxels including two extra 5 mm slices) is timed too. Without the
shared data, synthetic 512x512x40 blobs stand in (said in the output).

Both implementations run on one core (affinity and thread counts pinned). Values are
checked to agree. Writes ``benchmarks/results/metrics_bench.json``.

Usage: ``python benchmarks/metrics_bench.py [--cases 8] [--repeats 3]``
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from monai.metrics import HausdorffDistanceMetric, SurfaceDiceMetric  # noqa: E402
from scipy import ndimage  # noqa: E402

from ichseg.evaluate import compute_hausdorff_distance, compute_surface_dice  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=FutureWarning)
ROOT = Path(__file__).resolve().parents[1]
HEMSEG_ZIP = ROOT.parent / "shared" / "data" / "hemseg-labels" / "IPH_IVH_label.zip"
RESULTS = Path(__file__).parent / "results" / "metrics_bench.json"


def real_labels(limit: int) -> list[tuple[str, np.ndarray, tuple[float, float, float]]]:
    """The first test-split HemSeg labels with at least 1 mL of hemorrhage."""
    cases = []
    with zipfile.ZipFile(HEMSEG_ZIP) as archive:
        for name in sorted(n for n in archive.namelist() if "/test/label/" in n and n.endswith(".nii.gz")):
            image = nib.Nifti1Image.from_bytes(gzip.decompress(archive.read(name)))
            mask = np.asarray(image.dataobj) > 0
            spacing = tuple(float(z) for z in image.header.get_zooms()[:3])
            if mask.sum() * np.prod(spacing) / 1000 >= 1.0:
                cases.append((Path(name).name, np.ascontiguousarray(mask), spacing))
            if len(cases) == limit:
                break
    return cases


def synthetic_labels(limit: int) -> list[tuple[str, np.ndarray, tuple[float, float, float]]]:
    cases = []
    for seed in range(limit):
        rng = np.random.default_rng(seed)
        field = ndimage.gaussian_filter(rng.standard_normal((128, 128, 40)), (6, 6, 1.5))
        small = field > np.quantile(field, 0.995)
        mask = np.zeros((512, 512, 40), bool)
        mask[192:320, 192:320] = small.repeat(1, axis=0)
        cases.append((f"synthetic_{seed}", mask, (0.45, 0.45, 5.0)))
    return cases


def realistic_prediction(mask: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pred = np.roll(mask, (int(rng.integers(1, 3)), int(rng.integers(0, 3))), axis=(0, 1))
    disk = ndimage.generate_binary_structure(2, 1)[..., None]
    pred = ndimage.binary_dilation(pred, disk) if rng.random() < 0.5 else ndimage.binary_erosion(pred, disk)
    slices = np.flatnonzero(mask.any(axis=(0, 1)))
    top = slices[-1]
    if rng.random() < 0.5:
        pred[..., top] = False  # missed the last slice
    elif top + 1 < mask.shape[2]:
        pred[..., top + 1] = pred[..., top]  # one slice too many
    centre = np.array(np.nonzero(mask)).mean(axis=1).astype(int)
    blob = (slice(max(centre[0] - 60, 0), max(centre[0] - 54, 6)), slice(centre[1], centre[1] + 6), slice(centre[2], centre[2] + 1))
    pred[blob] = True  # a small false positive
    return pred


def harsh_prediction(mask: np.ndarray) -> np.ndarray:
    return np.roll(ndimage.binary_dilation(mask, iterations=2), 3, axis=0)


def best_time(function, repeats: int) -> tuple[float, float]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), float(value)


def measure(pred: np.ndarray, ref: np.ndarray, spacing, repeats: int) -> dict:
    one_hot = lambda m: torch.from_numpy(np.stack([~m, m])[None].astype(np.float32))  # noqa: E731
    monai_hd, monai_nsd = HausdorffDistanceMetric(percentile=95), SurfaceDiceMetric([0.42], use_subvoxels=True)
    p_t, r_t = one_hot(pred), one_hot(ref)
    ours_hd_t, ours_hd = best_time(lambda: compute_hausdorff_distance(pred, ref, spacing, 95), repeats)
    ours_nsd_t, ours_nsd = best_time(lambda: compute_surface_dice(pred, ref, spacing, 0.42), repeats)
    monai_hd_t, theirs_hd = best_time(lambda: monai_hd(p_t, r_t, spacing=spacing), repeats)
    monai_nsd_t, theirs_nsd = best_time(lambda: monai_nsd(p_t, r_t, spacing=spacing), repeats)
    return {
        "ichseg_s": round(ours_hd_t + ours_nsd_t, 4),
        "ichseg_hd95_s": round(ours_hd_t, 4),
        "ichseg_nsd_s": round(ours_nsd_t, 4),
        "monai_s": round(monai_hd_t + monai_nsd_t, 4),
        "speedup": round((monai_hd_t + monai_nsd_t) / (ours_hd_t + ours_nsd_t), 2),
        "hd95_mm": round(ours_hd, 4),
        "hd95_monai_mm": round(theirs_hd, 4),
        "nsd": round(ours_nsd, 4),
        "nsd_monai": round(theirs_nsd, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    source = "HemSeg-200 test labels" if HEMSEG_ZIP.is_file() else "synthetic blobs (shared data not found)"
    cases = real_labels(args.cases) if HEMSEG_ZIP.is_file() else synthetic_labels(args.cases)
    compute_surface_dice(cases[0][1], cases[0][1], cases[0][2])  # build the area table once
    rows = []
    for index, (name, ref, spacing) in enumerate(cases):
        realistic = measure(realistic_prediction(ref, index), ref, spacing, args.repeats)
        harsh = measure(harsh_prediction(ref), ref, spacing, args.repeats)
        rows.append({"case": name, "shape": list(ref.shape), "spacing": [round(s, 4) for s in spacing],
                     "volume_ml": round(float(ref.sum() * np.prod(spacing) / 1000), 2),
                     "realistic": realistic, "harsh": harsh})
        print(f"{name} {ref.shape} {rows[-1]['volume_ml']} mL  realistic: ichseg {realistic['ichseg_s']:.3f} s, "
              f"MONAI {realistic['monai_s']:.3f} s ({realistic['speedup']}x)  harsh: ichseg {harsh['ichseg_s']:.3f} s, "
              f"MONAI {harsh['monai_s']:.3f} s ({harsh['speedup']}x)")
    summary = {}
    for kind in ("realistic", "harsh"):
        ours = [r[kind]["ichseg_s"] for r in rows]
        theirs = [r[kind]["monai_s"] for r in rows]
        summary[kind] = {
            "ichseg_median_s": round(statistics.median(ours), 4),
            "ichseg_max_s": round(max(ours), 4),
            "monai_median_s": round(statistics.median(theirs), 4),
            "median_speedup": round(statistics.median(r[kind]["speedup"] for r in rows), 2),
            "min_speedup": round(min(r[kind]["speedup"] for r in rows), 2),
            "max_abs_hd95_difference_mm": round(max(abs(r[kind]["hd95_mm"] - r[kind]["hd95_monai_mm"]) for r in rows), 5),
            "max_abs_nsd_difference": round(max(abs(r[kind]["nsd"] - r[kind]["nsd_monai"]) for r in rows), 5),
        }
    result = {"benchmark": "metrics_bench", "source": source, "cores": 1, "repeats": args.repeats,
              "targets": {"ichseg_s_max": 0.5, "speedup_min": 5.0}, "summary": summary, "cases": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"source": source} | summary, indent=2))


if __name__ == "__main__":
    main()
