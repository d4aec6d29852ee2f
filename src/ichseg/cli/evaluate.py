"""``ichseg evaluate PRED GT -o OUT``: per-case metrics table and summary."""

from __future__ import annotations

import argparse
import json

from .bootstrap_options import add_bootstrap_options

HELP = "metrics of predicted label maps against references (metrics.csv + summary.json)"


def _label_map(text: str) -> dict[int, int]:
    try:
        pairs = [item.split(":") for item in text.split(",") if item]
        return {int(a): int(b) for a, b in pairs}
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected FROM:TO pairs like '1:5,2:1', got {text!r}") from error


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help=HELP, description=HELP)
    parser.add_argument("pred", help="folder of predicted <case>.nii.gz (or ichseg predict output)")
    parser.add_argument("gt", help="folder of reference <case>.nii.gz label maps")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--regions",
                        help="classes and groups to evaluate (default: all classes, any, extra-axial)")
    parser.add_argument("--pred-map", type=_label_map, help="relabel predictions, FROM:TO pairs (e.g. 1:5,2:1)")
    parser.add_argument("--gt-map", type=_label_map, help="relabel references, FROM:TO pairs")
    parser.add_argument("--both-empty", choices=("one", "exclude"), default="one",
                        help="both masks empty: Dice 1 (Kok et al.) or excluded (nnU-Net)")
    parser.add_argument("--one-empty", choices=("worst", "exclude"), default="worst",
                        help="distances when one mask is empty: a fixed worst value or excluded")
    parser.add_argument("--worst-distance", type=float, help="worst distance in mm (default: image diagonal)")
    parser.add_argument("--nsd-tolerance", type=float, default=0.42, help="NSD tolerance in mm (INSTANCE: 0.42)")
    parser.add_argument("--percentile", type=float, default=95.0, help="robust Hausdorff percentile (hd95)")
    add_bootstrap_options(parser)
    parser.set_defaults(run=run)


SOME_CASES_FAILED = 3  # as predict: the others were evaluated and written


def run(args: argparse.Namespace) -> int:
    from ..compare.tables import format_cell  # noqa: PLC0415
    from ..evaluate import EmptyMaskPolicy, EvaluationConfig, evaluate_folders  # noqa: PLC0415  (heavy, imported on use)
    from ..evaluate.case import DEFAULT_REGIONS  # noqa: PLC0415

    config = EvaluationConfig(
        regions=tuple(r for r in (args.regions or ",".join(DEFAULT_REGIONS)).split(",") if r),
        policy=EmptyMaskPolicy(args.both_empty, args.one_empty, args.worst_distance),
        nsd_tolerance_mm=args.nsd_tolerance,
        hd_percentile=args.percentile,
    )
    summary = evaluate_folders(args.pred, args.gt, args.output, config, pred_map=args.pred_map, ref_map=args.gt_map,
                               n_resamples=args.bootstrap, seed=args.seed)
    print(f"evaluated {summary['n_evaluated']} of {summary['n_cases']} cases -> {args.output}")
    for region, facts in summary["regions"].items():
        dice = facts["metrics"]["dice"]
        if dice["mean"] is not None:
            print(f"  {region:12s} Dice {format_cell(dice)}  cases {json.dumps(facts['case_types'])}")
    for name, reason in summary["failed"].items():
        print(f"  failed {name}: {reason}")
    if not summary["n_evaluated"]:
        return 1
    return SOME_CASES_FAILED if summary["failed"] else 0
