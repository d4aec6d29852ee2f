"""``ichseg models [--json]``: the registered networks and losses."""

from __future__ import annotations

import argparse
import json

HELP = "list the registered models (with parameter counts) and losses"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("models", help=HELP, description=HELP)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..models.catalogue import loss_catalogue, model_catalogue  # noqa: PLC0415  (heavy, imported on use)
    models, losses = model_catalogue(), loss_catalogue()
    if args.json:
        print(json.dumps({"models": models, "losses": losses}, indent=2))
        return 0
    print(f"{'model':16s} {'dims':>4s} {'params':>9s}  description")
    for row in models:
        print(f"{row['name']:16s} {row['spatial_dims']:>3d}D {row['parameters'] / 1e6:8.2f}M  {row['description']}")
    print(f"\n{'loss':16s} description")
    for row in losses:
        print(f"{row['name']:16s} {row['description']}")
    return 0
