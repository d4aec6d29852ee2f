"""Which network the bundled model should be: 2D, 2.5D or 3D, each trained from scratch for
the same CPU time on the same synthetic data, then scored on the held-out test set (Dice
per type and for any hemorrhage, volume CCC) with its prediction time per case.

Every candidate is the bundled recipe (``release/configs/bundled_model.yaml``: loss, optimiser,
schedule, augmentation, 1 x 1 x 5 mm, rgb3 windows) with only the network changed. The
training budget is wall time, turned into a step count from a short timed run of each
candidate (so the learning-rate schedule still ends at the last step). The 3D candidate is
a compact MONAI 3D U-Net with instance norm (batch 2 is too small for batch statistics):
the 3D DynUNet of ``train_bench.py`` runs ~0.05 steps/s on 2 cores, far too slow to train here.
Candidates are scored with their last weights, not the EMA the bundled model ships: the
recorded results were made when the trainer's EMA had no warm-up, and after a few hundred steps
it still held most of the random initialisation (0.999 ** 827 = 0.44) and predicted nothing.
The EMA now warms up (``ichseg.train.ema``); last weights are kept for comparable results. A rerun reuses the candidates already trained
(``training.json`` in their folder) and scores them again.

Usage: ``python experiments/architecture.py TRAIN_SET TEST_SET [--minutes 10] [--work DIR]
[--reuse RUN]`` (``--reuse``: a training run on TRAIN_SET with the same spacing and windows, e.g.
the bundled model's; its fingerprint, plan and preprocessed cases are shared instead of made
again for every candidate). Writes ``experiments/results/architecture.json``; each candidate is
scored by ``benchmarks/accuracy_bench.py``, run as a script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.infer.bundle import export_bundle
from ichseg.io import InputError
from ichseg.models.checkpoint import load_checkpoint
from ichseg.train import TrainingConfig, run_training

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "architecture.json"
RECIPE = ROOT / "release" / "configs" / "bundled_model.yaml"
ACCURACY_BENCH = ROOT / "benchmarks" / "accuracy_bench.py"
CANDIDATES = {
    "2d_unet": {"context_slices": 0},
    "2.5d_unet": {"context_slices": 1},
    "3d_unet": {"configuration": "3d", "context_slices": 0, "patch_size": [128, 128, 16], "batch_size": 2,
                "model_options": {"channels": [16, 32, 64, 128, 256], "strides": [2, 2, 2, 2], "norm": "instance"}},
}
TIMING_STEPS = {"2d_unet": 20, "2.5d_unet": 20, "3d_unet": 6}
WARM_UP_STEPS = 3  # the first steps include worker start-up and are not timed
QUIET = {"validate_every": 10**9, "log_every": 10**9, "checkpoint_every": 10**9}


def candidate_config(recipe: dict, setup: dict, max_steps: int) -> TrainingConfig:
    return TrainingConfig().merged({**recipe, **setup, **QUIET, "max_steps": max_steps})


def steps_per_second(train_set: Path, output: Path, recipe: dict, name: str) -> float:
    """Steps/s of the training loop over ``TIMING_STEPS[name]`` steps after a warm-up (loading
    the cases is not counted; the run folder is discarded afterwards)."""
    setup = CANDIDATES[name]
    run_training(train_set, output, candidate_config(recipe, setup, WARM_UP_STEPS), progress=False)
    summary = run_training(train_set, output, candidate_config(recipe, setup, WARM_UP_STEPS + TIMING_STEPS[name]),
                           resume=True, progress=False)
    shutil.rmtree(output / "fold_all")
    return summary["steps_per_second"]


def accuracy(bundle: Path, test_set: Path, work: Path) -> dict:
    """The accuracy benchmark's scores of ``bundle`` (run as its own script, its default variant)."""
    output = work / "accuracy.json"
    subprocess.run([sys.executable, str(ACCURACY_BENCH), str(test_set), "--model", str(bundle), "--work", str(work),
                    "--variants", "default", "--output", str(output)], check=True)
    return json.loads(output.read_text())["variants"]["default"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train_set")
    parser.add_argument("test_set")
    parser.add_argument("--minutes", type=float, default=10.0, help="training wall time per candidate")
    parser.add_argument("--work", default="architecture_work")
    parser.add_argument("--reuse", help="a training run on TRAIN_SET whose plan and preprocessed cases to share")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--output", default=str(RESULTS), help="JSON file for the results")
    args = parser.parse_args()
    train_set, test_set, work, output = Path(args.train_set), Path(args.test_set), Path(args.work), Path(args.output)
    try:  # both need labels: fail now, not after the first candidate has trained
        for dataset in (train_set, test_set):
            list_dataset_cases(dataset)
    except InputError as error:
        sys.exit(f"architecture: {error}")
    recipe = yaml.safe_load(RECIPE.read_text())
    results = {"train_set": str(train_set), "test_set": str(test_set), "minutes_per_candidate": args.minutes,
               "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "recipe": str(RECIPE.name),
               "candidates": {}}
    output.parent.mkdir(parents=True, exist_ok=True)
    for name in args.candidates.split(","):
        run = work / name
        run.mkdir(parents=True, exist_ok=True)
        if args.reuse:
            for file_name in ("fingerprint.json", "plan.json"):
                shutil.copyfile(Path(args.reuse) / file_name, run / file_name)
            if not (run / "preprocessed").exists():
                (run / "preprocessed").symlink_to((Path(args.reuse) / "preprocessed").resolve())
        record = run / "training.json"
        if not record.exists():
            rate = steps_per_second(train_set, run, recipe, name)
            steps = max(1, round(rate * args.minutes * 60))
            summary = run_training(train_set, run, candidate_config(recipe, CANDIDATES[name], steps), progress=False)
            record.write_text(json.dumps({"steps_per_second": round(rate, 4), "steps": steps,
                                          "training_seconds": summary["seconds"]}) + "\n")
        bundle = run / "bundle_last_weights"
        export_bundle(load_checkpoint(run / "fold_all" / "checkpoint_last.pt"), bundle, name=name,
                      training={"candidate": name}, use_ema=False, onnx=False)
        evaluation = work / f"{name}_accuracy"
        results["candidates"][name] = {"setup": CANDIDATES[name], **json.loads(record.read_text()),
                                       **accuracy(bundle, test_set, evaluation)}
        print(name, json.dumps(results["candidates"][name]))
        output.write_text(json.dumps(results, indent=2) + "\n")  # after each candidate: partial runs keep theirs
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
