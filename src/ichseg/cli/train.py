"""``ichseg train DATASET -o OUT --model NAME --loss NAME ...``: train one model on one fold.

Settings are merged as recipe < ``--config-file`` YAML < flags. Launch with ``torchrun
--nproc_per_node N -m ichseg train ...`` for DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..io.errors import InputError
from ..train.planner import DEFAULT_MEMORY_GB
from ..train.recipes import RECIPES, recipe_settings

HELP = "train a model on a dataset folder (plan, splits and checkpoints in OUT)"


def _fold(value: str):
    return value if value == "all" else int(value)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help=HELP, description=HELP)
    parser.add_argument("dataset", help="dataset folder (nnU-Net v2 layout)")
    parser.add_argument("-o", "--output", required=True, help="experiment folder (plan, splits, fold_<k>/)")
    parser.add_argument("--recipe", choices=RECIPES.names(), help="published training recipe to start from")
    parser.add_argument("--config-file", help="YAML file of training settings (overrides the recipe)")
    parser.add_argument("--model", help="registered model name (ichseg models), or package.module:builder")
    parser.add_argument("--loss", help="registered loss name, or package.module:builder")
    parser.add_argument("--trainer", help="registered trainer name (default supervised), or package.module:Class")
    parser.add_argument("--config", dest="configuration", choices=("2d", "3d"), help="plan configuration")
    parser.add_argument("--fold", type=_fold, help="fold index or 'all' (default 0)")
    parser.add_argument("--max-steps", type=int, help="training steps")
    parser.add_argument("--initial-weights", help="start from these weights: a model bundle (name or folder) or a "
                        "training checkpoint (.pt) of the same network (fine-tuning)")
    parser.add_argument("--batch-size", type=int, help="override the plan's batch size")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--workers", type=int, dest="num_workers", help="data-loading worker processes")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--memory-gb", type=float, default=DEFAULT_MEMORY_GB, help="planning memory budget")
    parser.add_argument("--resume", action="store_true", help="continue from the fold's checkpoint_last.pt")
    parser.add_argument("--unlabelled", help="semi-supervised trainers: a folder of unlabelled NIfTI images (besides "
                                             "the dataset's imagesUnlabeled/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..train.config import TrainingConfig, read_config_file  # noqa: PLC0415  (heavy, imported on use)
    from ..train.distributed import setup_distributed  # noqa: PLC0415  (heavy, imported on use)
    from ..train.experiment import run_training  # noqa: PLC0415  (heavy, imported on use)
    settings = recipe_settings(args.recipe) if args.recipe else {}
    flags = {name: getattr(args, name) for name in ("model", "loss", "trainer", "configuration", "fold", "max_steps",
                                                    "batch_size", "seed", "num_workers", "initial_weights",
                                                    "unlabelled")}
    try:
        if args.config_file:
            settings.update(read_config_file(args.config_file))
        config = TrainingConfig().merged({**settings, **{k: v for k, v in flags.items() if v is not None}})
        context = setup_distributed(args.device)
    except ValueError as error:
        raise SystemExit(f"ichseg train: {error}") from None
    try:
        summary = run_training(args.dataset, args.output, config, context=context, memory_gb=args.memory_gb,
                               resume=args.resume, progress=not args.no_progress)
    except InputError:
        raise  # names its file; main() prints it
    except ValueError as error:  # a setting or dataset that cannot train (folds, dims, trainer): one line
        raise SystemExit(f"ichseg train: {error}") from None
    finally:
        context.close()
    if context.is_main:
        print(json.dumps(summary, indent=1), file=sys.stdout)
    return 0
