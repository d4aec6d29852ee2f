"""``ichseg report OUT``: rebuild ``OUT/report.html`` from a predict output folder."""

from __future__ import annotations

import argparse

HELP = "rebuild the HTML report (cohort table and slice viewer) of a predict output folder"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("report", help=HELP, description=HELP)
    parser.add_argument("output", help="an ichseg predict output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report  # noqa: PLC0415  (imported on use)

    path = write_report(args.output)  # InputError: main() prints its one line
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0
