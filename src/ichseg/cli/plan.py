"""``ichseg plan DATASET [-o plan.json]``: fingerprint + self-configured training plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..train.planner import DEFAULT_MEMORY_GB

HELP = "fingerprint a dataset and write its self-configured training plan (2d and 3d)"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("plan", help=HELP, description=HELP)
    parser.add_argument("dataset", help="dataset folder (nnU-Net v2 layout)")
    parser.add_argument("-o", "--output", help="plan file (default: DATASET/plan.json)")
    parser.add_argument("--memory-gb", type=float, default=DEFAULT_MEMORY_GB,
                        help="training memory budget per device, GPU memory or CPU RAM (default %(default)s)")
    parser.add_argument("--amp", action="store_true", help="plan for mixed precision (half-size activations)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..train.experiment import plan_dataset  # noqa: PLC0415  (heavy, imported on use)

    output = Path(args.output) if args.output else Path(args.dataset) / "plan.json"
    plan = plan_dataset(args.dataset, output, fingerprint_path=output.with_name(output.stem + "_fingerprint.json"),
                        memory_gb=args.memory_gb, amp=args.amp, reuse=False)
    print(f"target spacing {plan['configurations']['3d']['spacing']} mm, median shape {plan['median_shape']}")
    for name, configuration in plan["configurations"].items():
        print(f"{name}: patch {configuration['patch_size']}, batch {configuration['batch_size']}, "
              f"{len(configuration['strides'])} stages, strides {configuration['strides'][1:]}, "
              f"~{configuration['estimated_memory_gb']} GB")
    print(f"wrote {output}")
    return 0
