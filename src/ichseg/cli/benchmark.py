"""``ichseg benchmark CONFIG -o OUT``: an experiment table trained, evaluated and compared."""

from __future__ import annotations

import argparse

HELP = "train, evaluate and compare every cell of an experiment file (datasets x networks x losses x folds)"


def _dataset(text: str) -> tuple[str, str]:
    name, sep, folder = text.partition("=")
    if not sep or not name or not folder:
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=FOLDER")
    return name, folder


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("benchmark", help=HELP, description=HELP + ". A finished cell is never "
                                   "recomputed; rerun the same command to resume an interrupted one.")
    parser.add_argument("config", help="an experiment YAML file, or a shipped one: hemseg200, kok_losses, ctich2d, "
                                       "instance_viola, bhsd_semi")
    parser.add_argument("-o", "--output", required=True, help="the experiment folder (created; rerun to resume)")
    parser.add_argument("--workers", type=int, default=1,
                        help="cells at once on a local Dask cluster (default 1: in this process)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (tcp://host:8786)")
    parser.add_argument("--budget-steps", type=int, help="training steps of every cell (scales the whole table)")
    parser.add_argument("--threads", type=int, help="torch threads per cell (default: the cores over the workers)")
    parser.add_argument("--dataset", type=_dataset, action="append", default=[], metavar="NAME=FOLDER",
                        help="run on this dataset folder (ichseg convert's output) instead of the file's "
                             "synthetic set (repeatable)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..benchmark import run_benchmark  # noqa: PLC0415  (imported on use)

    if args.workers < 1:
        raise SystemExit("ichseg benchmark: --workers must be at least 1")
    if args.workers > 1 or args.scheduler:
        try:
            import distributed  # noqa: F401, PLC0415
        except ImportError:
            raise SystemExit("ichseg benchmark: --workers above 1 and --scheduler need Dask distributed: "
                             "pip install 'ichseg[cluster]'") from None
    summary = run_benchmark(args.config, args.output, workers=args.workers, scheduler=args.scheduler,
                            budget_steps=args.budget_steps, threads=args.threads, datasets=dict(args.dataset))
    return 1 if summary["failed"] else 0
