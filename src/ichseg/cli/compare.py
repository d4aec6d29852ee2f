"""``ichseg compare A.csv B.csv ... -o OUT``: statistics, tables and plots across models."""

from __future__ import annotations

import argparse
from pathlib import Path

from .bootstrap_options import add_bootstrap_options

HELP = "compare models' metrics tables: mean [95% CI] tables, Kruskal-Wallis/Dunn, Wilcoxon, CCC, Bland-Altman, plots"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("compare", help=HELP.replace("%", "%%"), description=HELP)
    parser.add_argument("tables", nargs="+", help="metrics.csv files written by 'ichseg evaluate'")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--names", help="comma-separated model names (default: each table's folder name)")
    parser.add_argument("--regions", default="any", help="classes/groups to compare (default: any)")
    add_bootstrap_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..compare.comparison import compare_models  # noqa: PLC0415  (heavy, imported on use)
    names = args.names.split(",") if args.names else None
    regions = tuple(r for r in args.regions.split(",") if r)
    compare_models(args.tables, args.output, names=names, regions=regions, n_resamples=args.bootstrap, seed=args.seed)
    print((Path(args.output) / "results.md").read_text(), end="")
    return 0
