"""``ichseg adapt -i SCANS -o BUNDLE_OUT``: a bundle fine-tuned on a site's unlabelled scans."""

from __future__ import annotations

import argparse
import sys

HELP = "fine-tune a model on a folder of a site's own unlabelled scans (semi-supervised, with a labelled anchor)"
REFUSED = 3  # exit status when the anchor check refuses the adapted model


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "adapt", help=HELP, description=HELP + ". Writes a new bundle with a card saying how its predictions on "
        "those scans changed; refuses (exit status 3, nothing written) when its Dice on held-out labelled anchor "
        "cases falls by more than --max-dice-drop. Rerun the same command to resume an interrupted run.")
    parser.add_argument("-i", "--input", required=True,
                        help="the site's scans: a folder of NIfTI files or DICOM series (what predict reads)")
    parser.add_argument("-o", "--output", required=True, help="folder of the adapted bundle (must not exist)")
    parser.add_argument("--model", default="default", help="the bundle to adapt: a shipped name or a folder")
    parser.add_argument("--trainer", default="mean_teacher",
                        help="semi-supervised trainer: mean_teacher (default), cps, entropy_min, ict, self_training")
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--lr", type=float, help="learning rate (default: a tenth of the source model's)")
    parser.add_argument("--batch-size", type=int, help="labelled (and unlabelled) patches per step "
                                                       "(default: the source model's)")
    parser.add_argument("--anchor", help="a labelled dataset folder as the anchor (default: generated synthetic "
                                         "heads)")
    parser.add_argument("--anchor-cases", type=int, default=16,
                        help="synthetic anchor heads to generate (a quarter held out; default 16)")
    parser.add_argument("--max-dice-drop", type=float, default=0.05,
                        help="largest accepted fall of the held-out anchor's mean Dice(any) (default 0.05)")
    parser.add_argument("--report-scans", type=int, default=20,
                        help="site scans whose predictions before and after are compared in the card (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..adapt import AdaptConfig, AdaptRefused, adapt_bundle  # noqa: PLC0415  (imports torch)

    try:
        config = AdaptConfig(trainer=args.trainer, steps=args.steps, lr=args.lr, batch_size=args.batch_size,
                             anchor=args.anchor, anchor_cases=args.anchor_cases, max_dice_drop=args.max_dice_drop,
                             report_scans=args.report_scans, seed=args.seed)
    except ValueError as error:
        raise SystemExit(f"ichseg adapt: {error}") from None
    try:
        adapt_bundle(args.model, args.input, args.output, config, threads=args.threads,
                     progress=not args.no_progress, log=lambda message: print(message, file=sys.stderr))
    except AdaptRefused as refusal:
        print(f"ichseg adapt: refused: {refusal}", file=sys.stderr)
        return REFUSED
    return 0
