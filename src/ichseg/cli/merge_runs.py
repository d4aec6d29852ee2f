"""``ichseg merge-runs OUT1 OUT2 ... -o MERGED``: join the output folders of a cohort's parts."""

from __future__ import annotations

import argparse

HELP = "join the output folders of several predict runs (the parts of a cohort) into one"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("merge-runs", help=HELP, description=HELP)
    parser.add_argument("sources", nargs="+", help="output folders of ichseg predict runs")
    parser.add_argument("-o", "--output", required=True, help="the joined output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..infer.merge_runs import merge_runs  # noqa: PLC0415  (imported on use)

    table = merge_runs(args.sources, args.output)  # InputError: main() prints its one line
    done = sum(row["status"] == "ok" for row in table)
    print(f"{done}/{len(table)} cases done; joined into {args.output}")
    return 0 if done == len(table) else 3
