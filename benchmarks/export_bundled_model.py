"""Turn a training checkpoint into the bundled default model (fp16 safetensors +
bundle.json with network spec, checksum and the training command).

Usage: ``python benchmarks/export_bundled_model.py RUN/fold_all/checkpoint_last.pt
[-o src/ichseg/resources/models/ich_default] [--metrics benchmarks/results/accuracy_bench.json]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ichseg.infer.bundle import bundled_model_path, export_bundle
from ichseg.train.checkpoint import load_checkpoint

TRAINING_COMMANDS = [
    "ichseg synth -o synth_train -n 200 --seed 11 --base src/ichseg/resources/ge_head_ct --base-fraction 0.35 "
    "--negatives 0.15 --shape-bank ../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 0/2",
    "ichseg train synth_train -o bundled_run --config-file benchmarks/configs/bundled_model.yaml --max-steps 2200",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("-o", "--output", default=str(bundled_model_path("default")))
    parser.add_argument("--metrics", help="accuracy benchmark JSON to record in bundle.json")
    args = parser.parse_args()
    checkpoint = load_checkpoint(args.checkpoint)
    training = {"commands": TRAINING_COMMANDS, "steps": checkpoint["step"], "config": checkpoint["config"],
                "dataset": checkpoint["plan"].get("dataset"), "weights": "EMA" if checkpoint.get("ema") else "last"}
    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else {}
    description = export_bundle(checkpoint, args.output, name="ich_default", training=training, metrics=metrics)
    size = (Path(args.output) / "model.safetensors").stat().st_size / 1e6
    print(f"wrote {args.output}: {size:.1f} MB, sha256 {description['sha256'][:16]}...")


if __name__ == "__main__":
    main()
