"""``ichseg demo -o OUT``: the main job on data shipped with ichseg.

The real GE head CT with synthetic hemorrhages of known volume inserted (several types)
goes through ``predict``; true and measured volumes are printed and saved.
"""

from __future__ import annotations

import argparse

from .predict import add_model_options, build_predictor

HELP = "run predict on the shipped GE head CT with inserted hemorrhages of known volume"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help=HELP, description=HELP)
    parser.add_argument("-o", "--output", required=True, help="output folder")
    add_model_options(parser, uncertainty=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo  # noqa: PLC0415  (heavy, imported on use)
    result = run_demo(args.output, build_predictor(args))
    print(f"{'class':<8}{'true mL':>10}{'measured mL':>14}  verdict")
    for name, values in result["volumes"].items():
        print(f"{name:<8}{values['true_ml']:>10.2f}{values['measured_ml']:>14.2f}  {values['verdict']}")
    print(f"case folder: {result['case_folder']} ({result['seconds']} s)")
    return 0 if result["status"] == "ok" else 1
