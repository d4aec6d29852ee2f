"""Is bfloat16 autocast on the CPU accuracy-neutral for a real fine-tune, and how much faster?

``cpu_precision_bench.py`` times single steps; this runs the trainer itself twice from the same
weights on the same cases, float32 and ``amp: true`` (bfloat16 autocast on the CPU), each for
``--steps`` steps on fold 0 of ``DATASET`` with the given config file (the 2.5D settings of the
bundled model), and compares the validation pseudo-Dice (nnU-Net's, over the fold's first 8
validation cases) and the steps per second the trainer measured. Both runs share one plan,
split and preprocessing cache, so only the precision differs (``--prepared``: take them from an
earlier run on the same dataset). The bundled model was trained on all of the synthetic
training set, so this validation Dice is optimistic; it compares the two precisions, nothing else.

Usage: ``python benchmarks/cpu_bf16_training_bench.py DATASET WORK_DIR --config-file YAML
[--initial-weights default] [--steps 300] [--prepared RUN_DIR]``
Writes ``benchmarks/results/cpu_bf16_training_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch
import yaml

from ichseg.train import TrainingConfig, run_training

RESULTS = Path(__file__).parent / "results" / "cpu_bf16_training_bench.json"
SHARED = ("plan.json", "splits.json", "fingerprint.json", "preprocessed")


def run(dataset: Path, output: Path, settings: dict, reference: Path | None) -> dict:
    """One training run; the plan, split and cache of ``reference`` are reused when given."""
    if reference is not None and not output.exists():
        output.mkdir(parents=True)
        for name in SHARED:
            source = reference / name
            if source.is_dir():
                (output / name).symlink_to(source.resolve(), target_is_directory=True)
            elif source.exists():
                shutil.copy2(source, output / name)
    started = time.perf_counter()
    summary = run_training(dataset, output, TrainingConfig().merged(settings), progress=True)
    return {"best_val_dice": summary["best_val_dice"], "steps_per_second": summary["steps_per_second"],
            "data_wait_fraction": summary["data_wait_fraction"], "wall_seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("work_dir", type=Path, help="where the two runs are written (not the repository)")
    parser.add_argument("--config-file", type=Path, required=True)
    parser.add_argument("--initial-weights", default="default")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--prepared", type=Path, help="an earlier run's folder: its plan, splits and cache")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    base = yaml.safe_load(args.config_file.read_text())
    base.update({"fold": 0, "max_steps": args.steps, "validate_every": args.steps, "max_validation_cases": 8,
                 "checkpoint_every": args.steps, "initial_weights": args.initial_weights})
    results: dict = {"dataset": str(args.dataset), "config_file": str(args.config_file), "steps": args.steps,
                     "initial_weights": args.initial_weights, "threads": torch.get_num_threads(), "runs": {}}
    reference = args.prepared
    for name, amp in (("float32", False), ("bf16_autocast", True)):
        output = args.work_dir / name
        results["runs"][name] = run(args.dataset, output, {**base, "amp": amp}, reference)
        reference = reference or output
        print(name, results["runs"][name], flush=True)
    fp32, bf16 = results["runs"]["float32"], results["runs"]["bf16_autocast"]
    results["speedup"] = round(bf16["steps_per_second"] / fp32["steps_per_second"], 2)
    results["val_dice_difference"] = round(bf16["best_val_dice"] - fp32["best_val_dice"], 4)
    print(json.dumps({k: results[k] for k in ("speedup", "val_dice_difference")}))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
