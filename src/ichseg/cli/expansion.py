"""``ichseg expansion BASELINE FOLLOWUP -o OUT``: hematoma growth between two scans."""

from __future__ import annotations

import argparse
import sys

from .input_options import add_input_options, read_options
from .predict import add_model_options, build_predictor

HELP = "hematoma expansion: segment a baseline and a follow-up scan, register them, measure the change"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("expansion", help=HELP, description=HELP)
    parser.add_argument("baseline", help="the first scan (DICOM series/study, NIfTI, ...)")
    parser.add_argument("followup", help="the later scan of the same patient")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    add_model_options(parser, uncertainty=False)
    add_input_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..expansion import measure_expansion  # noqa: PLC0415  (heavy, imported on use)

    predictor = build_predictor(args)
    record = measure_expansion(args.baseline, args.followup, args.output, predictor, read_options=read_options(args),
                               progress=lambda text: print(f"ichseg expansion: {text}", file=sys.stderr))
    change = record["change"]
    for name in ("IPH", "IVH", "SAH", "SDH", "EDH"):
        entry = change[name]
        if entry["baseline_ml"] or entry["followup_ml"]:
            percent = "" if entry["change_percent"] is None else f" ({entry['change_percent']:+.0f} %)"
            print(f"{name}: {entry['baseline_ml']:.2f} -> {entry['followup_ml']:.2f} mL, "
                  f"{entry['change_ml']:+.2f} mL{percent}")
    print(f"IPH expansion (>= 6 mL or >= 33 %): {'yes' if change['iph_expansion'] else 'no'}; "
          f"new IVH: {'yes' if change['new_ivh'] else 'no'}")
    for warning in record["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"results in {args.output}")
    return 0
