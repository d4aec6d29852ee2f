"""``ichseg models [--json]``: the registered networks and losses."""

from __future__ import annotations

import argparse
import json

HELP = "list the registered models (with parameter counts) and losses"
# The listing ichseg ships (checked against the registries by tests/models/test_catalogue.py), so that
# listing needs neither MONAI nor building any network; --live builds it from the registries instead.
SHIPPED = "model_catalogue.json"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("models", help=HELP, description=HELP)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--live", action="store_true",
                        help="count parameters from the registries now (imports MONAI; seconds) instead of "
                             "reading the shipped listing")
    parser.set_defaults(run=run)


def shipped_catalogue() -> dict:
    """The shipped listing: ``{"models": [...], "losses": [...]}``."""
    from importlib import resources  # noqa: PLC0415

    return json.loads((resources.files("ichseg.resources") / SHIPPED).read_text(encoding="utf-8"))


def run(args: argparse.Namespace) -> int:
    if args.live:
        from ..models.catalogue import loss_catalogue, model_catalogue  # noqa: PLC0415  (imports MONAI)

        models, losses = model_catalogue(), loss_catalogue()
    else:
        catalogue = shipped_catalogue()
        models, losses = catalogue["models"], catalogue["losses"]
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
