"""Training speed on this machine's CPU: steps/s of a 2D and a 3D model and the share of
wall time the training loop spends waiting for data (should be small).

Data: a small synthetic dataset (``ichseg synth``, 1 mm pixels, 5 mm slices) made once
in a temporary folder. Each configuration trains ``--steps`` steps after a warm-up run
(the first steps include worker start-up and are not timed). Writes
``benchmarks/results/train_bench.json``.

Usage: ``python benchmarks/train_bench.py [--steps 40] [--workers 1]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import torch

from ichseg.data.synth import SynthConfig, generate_dataset
from ichseg.train import TrainingConfig, run_training

RESULTS = Path(__file__).parent / "results" / "train_bench.json"
SETUPS = {
    "2d_unet_160x160_batch8": {"model": "unet", "configuration": "2d", "patch_size": [160, 160], "batch_size": 8,
                               "augmentation": "nnunet"},
    "2.5d_unet_160x160_batch8": {"model": "unet", "configuration": "2d", "context_slices": 1,
                                 "patch_size": [160, 160], "batch_size": 8, "augmentation": "nnunet"},
    "3d_dynunet_128x128x16_batch2": {"model": "dynunet", "configuration": "3d", "batch_size": 2,
                                     "patch_size": [128, 128, 16], "augmentation": "nnunet"},
}
# 3D steps take seconds each on a CPU: fewer of them are timed.
STEP_SHARE = {"3d_dynunet_128x128x16_batch2": 0.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cases", type=int, default=6)
    args = parser.parse_args()
    results = {"machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
               "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "steps": args.steps,
               "workers": args.workers, "runs": {}}
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder) / "dataset"
        generate_dataset(dataset, args.cases, seed=5, config=SynthConfig(pixel_mm=1.0, slice_mm=5.0,
                                                                          negative_fraction=0.0))
        for name, setup in SETUPS.items():
            common = {"max_steps": 5, "num_workers": args.workers, "validate_every": 10**6,
                      "checkpoint_every": 10**6, "log_every": 10**6, "fold": "all", "spacing": [1.0, 1.0, 5.0],
                      "optimizer": "sgd", "schedule": "constant", **setup}
            output = Path(folder) / name
            run_training(dataset, output, TrainingConfig().merged(common), progress=False)  # warm-up + cache
            steps = max(3, int(args.steps * STEP_SHARE.get(name, 1.0)))
            timed = TrainingConfig().merged({**common, "max_steps": 5 + steps})
            summary = run_training(dataset, output, timed, resume=True, progress=False)
            results["runs"][name] = {key: summary[key] for key in ("steps_this_run", "seconds", "steps_per_second",
                                                                    "data_wait_fraction", "batch_size",
                                                                    "patch_size")}
            print(name, json.dumps(results["runs"][name]), flush=True)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
