"""``ichseg info PATH [--json]``: what the reader made of an input."""

from __future__ import annotations

import argparse
import json

from .input_options import add_input_options, read_options

HELP = "show what the reader made of an input (series chosen, geometry, HU range, warnings)"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("info", help=HELP, description=HELP)
    parser.add_argument("path", help="NIfTI file, DICOM file/series/study folder, folder of PNG/JPG slices, .npy/.npz")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_input_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io import read_volume  # noqa: PLC0415  (heavy, imported on use)
    from ..io.describe import describe_volume  # noqa: PLC0415  (heavy, imported on use)
    facts = describe_volume(read_volume(args.path, **read_options(args)))
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    for key, value in facts.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, reason in value.items():
                print(f"  {name}: {reason}")
        elif isinstance(value, list) and value and key in ("warnings",):
            print(f"{key}:")
            for item in value:
                print(f"  - {item}")
        else:
            print(f"{key}: {value}")
    return 0
