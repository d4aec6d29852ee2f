"""Entry point of the ``ichseg`` command."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..io import InputError
from . import compare, demo, evaluate, info, models, plan, predict, synth, train

# Each command module provides add_parser(subparsers); a new command is a new entry.
COMMANDS = (predict, demo, info, synth, models, plan, train, evaluate, compare)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ichseg", description="Segment and quantify intracranial hemorrhage on non-contrast head CT."
    )
    parser.add_argument("--version", action="version", version=f"ichseg {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except InputError as error:
        print(f"ichseg: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
