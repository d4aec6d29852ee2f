"""Is bfloat16 autocast or channels_last faster on this CPU, for training and for inference,
and does it change the result?

The bundled network (``ich_default``: 2.5D MONAI U-Net, 9 channels) on patches of a held-out
synthetic head prepared as training and inference prepare them:

- training: seconds per optimiser step (batch 6, 224 x 224, dice_ce, AdamW) in float32,
  bf16 autocast, channels_last, and both; and, from the same weights on the same batches,
  the mean loss over the last steps of a short run (a drift check, not a full training);
- inference: seconds for every slice of the head in one batch of windows, the same four
  settings and the bundle's ONNX graph on ONNX Runtime (what CPU runs use), and the share of
  voxels whose winning class equals float32's.

The CPU flags (``avx512_bf16``, ``amx_bf16``) are recorded: bf16 kernels are fast only where
the CPU has them.

Usage: ``python benchmarks/cpu_precision_bench.py DATASET [--steps N] [--output JSON]``
Writes ``benchmarks/results/cpu_precision_bench.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.infer.bundle import load_bundle
from ichseg.infer.sliding_window import slices_with_context
from ichseg.io import read_nifti
from ichseg.losses import build_loss
from ichseg.preprocess.model_input import prepare_model_input

RESULTS = Path(__file__).parent / "results" / "cpu_precision_bench.json"
SETTINGS = {"float32": (False, False), "bf16_autocast": (True, False), "channels_last": (False, True),
            "channels_last_bf16": (True, True)}
BATCH, PATCH = 6, 224


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if "bf16" in f or f.startswith("amx") or f in ("avx2", "avx512f"))


def training_batches(channels: np.ndarray, labels: np.ndarray, count: int, seed: int = 0):
    """``count`` batches of 2.5D patches (centre slices with blood first), fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    stacked = slices_with_context(channels, 1)  # (Z, 9, X, Y)
    z_blood = np.flatnonzero((labels > 0).any(axis=(0, 1)))
    z_all = np.arange(labels.shape[2])
    x_max, y_max = max(1, channels.shape[1] - PATCH), max(1, channels.shape[2] - PATCH)
    batches = []
    for _ in range(count):
        zs = rng.choice(z_blood if z_blood.size and rng.random() < 0.5 else z_all, BATCH)
        xs, ys = rng.integers(0, x_max, BATCH), rng.integers(0, y_max, BATCH)
        image = np.stack([_crop(stacked[z], x, y) for z, x, y in zip(zs, xs, ys, strict=True)])
        target = np.stack([_crop(labels[None, :, :, z], x, y) for z, x, y in zip(zs, xs, ys, strict=True)])
        batches.append((torch.from_numpy(image), torch.from_numpy(target.astype(np.int64))))
    return batches


def _crop(array: np.ndarray, x: int, y: int) -> np.ndarray:
    out = np.zeros((array.shape[0], PATCH, PATCH), np.float32)
    piece = array[:, x:x + PATCH, y:y + PATCH]
    out[:, :piece.shape[1], :piece.shape[2]] = piece
    return out


def train_steps(network: torch.nn.Module, batches, bf16: bool, channels_last: bool) -> tuple[float, list[float]]:
    network = copy.deepcopy(network).train()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    network = network.to(memory_format=memory_format)
    loss_function = build_loss("dice_ce", batch=True, smooth_nr=0.0, smooth_dr=1.0e-5)
    optimiser = torch.optim.AdamW(network.parameters(), lr=1e-4, weight_decay=1e-4)
    losses, seconds = [], []
    for image, target in batches:
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = network(image.contiguous(memory_format=memory_format))
        loss = loss_function(logits.float(), target)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        seconds.append(time.perf_counter() - started)
        losses.append(float(loss.detach()))
    return float(np.median(seconds[2:])), losses  # the first steps set up kernels


def infer(network: torch.nn.Module, slices: np.ndarray, bf16: bool, channels_last: bool) -> tuple[float, np.ndarray]:
    network = copy.deepcopy(network).eval()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    network = network.to(memory_format=memory_format)
    batch = torch.from_numpy(slices).contiguous(memory_format=memory_format)
    best = float("inf")
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for _ in range(3):
            started = time.perf_counter()
            logits = torch.cat([network(batch[i:i + 4]) for i in range(0, len(batch), 4)])
            best = min(best, time.perf_counter() - started)
    return best, logits.float().argmax(1).numpy()


def infer_onnx(slices: np.ndarray) -> tuple[float, np.ndarray]:
    """The bundled graph on ONNX Runtime, batches of 4 as above; best of 3."""
    network = load_bundle("default", onnx=True).network
    best, logits = float("inf"), None
    for _ in range(3):
        started = time.perf_counter()
        logits = np.concatenate([network(slices[i:i + 4]) for i in range(0, len(slices), 4)])
        best = min(best, time.perf_counter() - started)
    return best, np.asarray(logits).argmax(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="held-out dataset (nnU-Net layout); its first case with blood is used")
    parser.add_argument("--steps", type=int, default=40, help="training steps per setting (default 40)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.manual_seed(0)
    bundle = load_bundle("default")
    spec = bundle.spec
    case = next(c for c in list_dataset_cases(args.dataset) if (read_nifti(c.label).array > 0).any())
    prepared = prepare_model_input(read_nifti(case.image), spec.spacing, spec.normalization,
                                   labels=read_nifti(case.label), keep_thicker_slices=True)
    assert prepared.labels is not None
    batches = training_batches(prepared.channels, prepared.labels, args.steps)
    stacked = slices_with_context(prepared.channels, spec.context_slices)
    padded = np.zeros((*stacked.shape[:2], *(int(np.ceil(n / 16) * 16) for n in stacked.shape[2:])), np.float32)
    padded[:, :, :stacked.shape[2], :stacked.shape[3]] = stacked
    results: dict = {"case": case.case, "cpu": platform.processor() or platform.machine(), "cpu_flags": cpu_flags(),
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "steps": args.steps,
                     "training": {}, "inference": {}}
    reference = None
    tail = max(1, args.steps // 4)
    for name, (bf16, channels_last) in SETTINGS.items():
        with contextlib.suppress(RuntimeError):  # a setting this build cannot run is left out, not fatal
            step_s, losses = train_steps(bundle.network, batches, bf16, channels_last)
            results["training"][name] = {"seconds_per_step": round(step_s, 3),
                                         "mean_loss_last_steps": round(float(np.mean(losses[-tail:])), 4)}
            seconds, winners = infer(bundle.network, padded, bf16, channels_last)
            if reference is None:
                reference = winners
            results["inference"][name] = {"seconds": round(seconds, 3),
                                          "same_class_share": round(float((winners == reference).mean()), 5)}
        print(name, results["training"].get(name), results["inference"].get(name), flush=True)
    with contextlib.suppress(ImportError):  # onnxruntime is an optional dependency
        seconds, winners = infer_onnx(padded)
        results["inference"]["onnx_runtime_float32"] = {
            "seconds": round(seconds, 3), "same_class_share": round(float((winners == reference).mean()), 5)}
    base_train, base_infer = results["training"]["float32"], results["inference"]["float32"]
    for name in SETTINGS:
        if name in results["training"]:
            results["training"][name]["speedup"] = round(base_train["seconds_per_step"]
                                                         / results["training"][name]["seconds_per_step"], 2)
    for row in results["inference"].values():
        row["speedup"] = round(base_infer["seconds"] / row["seconds"], 2)
    print(json.dumps({k: results[k] for k in ("cpu_flags", "training", "inference")}, indent=1))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
